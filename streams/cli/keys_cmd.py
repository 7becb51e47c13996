"""``bunri keys {create,list,revoke}``: the gateway's API keys file (hashes only)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from streams.settings import Settings

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("keys", help="manage the gateway's API keys (BUNRI_AUTH__KEYS_FILE)",
                       description="The keys file holds each key's id, name and SHA-256, never the key. "
                       "A running gateway re-reads it within a second of a change, so create and revoke "
                       "take effect without a restart. Keys are required when BUNRI_AUTH__ENABLED=true.")
    p.add_argument("--file", type=Path, help="the keys file (default: BUNRI_AUTH__KEYS_FILE, else "
                   "BUNRI_DATA_DIR/keys.json)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = actions.add_parser("create", help="add a key and print it once (it is not stored)")
    c.add_argument("name", help="who the key is for, e.g. mobile-backend")
    c.add_argument("--rpm", type=int, help="requests per minute for this key (default BUNRI_LIMITS__RPM_PER_KEY)")
    c.add_argument("--inflight", type=int, help="unanswered queries at once (default "
                   "BUNRI_LIMITS__INFLIGHT_PER_KEY)")
    c.add_argument("--daily-usd", type=float, help="model cost per UTC day (default "
                   "BUNRI_LIMITS__DAILY_USD_PER_KEY)")
    c.set_defaults(func=_create)
    ls = actions.add_parser("list", help="the keys: id, name, created, revoked (never the key)")
    ls.add_argument("--json", action="store_true", help="one JSON object per key")
    ls.set_defaults(func=_list)
    r = actions.add_parser("revoke", help="revoke a key by its id (kept in the file, marked revoked)")
    r.add_argument("key_id", help="the id `bunri keys list` shows")
    r.set_defaults(func=_revoke)


def _path(args: argparse.Namespace) -> Path:
    from gateway.auth.state import keys_path

    return args.file or keys_path(Settings())


def _create(args: argparse.Namespace) -> int:
    from gateway.auth.keys import create_key

    path = _path(args)
    key, text = create_key(path, args.name, rpm=args.rpm, inflight=args.inflight, daily_usd=args.daily_usd)
    print(f"created key {key.id} ({key.name}) in {path}; it is shown only now:", file=sys.stderr)  # noqa: T201
    print(text)  # noqa: T201  (stdout alone, so `KEY=$(bunri keys create app)` works)
    return 0


def _list(args: argparse.Namespace) -> int:
    from gateway.auth.keys import list_keys

    for key in list_keys(_path(args)):
        if args.json:
            print(json.dumps({k: v for k, v in asdict(key).items() if k != "sha256"}))  # noqa: T201
        else:
            state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
            print(f"{key.id}\t{key.name}\t{key.created_at}\t{state}")  # noqa: T201
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from gateway.auth.keys import KeyFileError, revoke_key

    try:
        key = revoke_key(_path(args), args.key_id)
    except KeyFileError as exc:
        print(f"bunri keys: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"revoked {key.id} ({key.name})")  # noqa: T201
    return 0
