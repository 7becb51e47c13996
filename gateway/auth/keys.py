"""API keys: the keys file (hashes only), creating, listing, revoking, and checking a presented key.

A key reads ``bunri_<id>_<secret>``: the id names it in logs, events and ``bunri keys list``; only the
SHA-256 of the whole key is stored. A fast hash is enough here because the secret is 32 random bytes
(nothing to brute-force, unlike a password), and it keeps the check cheap on every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["ApiKey", "KeyFileError", "KeyRing", "create_key", "list_keys", "revoke_key"]

_PREFIX = "bunri_"


class KeyFileError(ValueError):
    """The keys file is unreadable or malformed, or names no such key."""


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: never the key itself."""

    id: str
    name: str
    sha256: str
    created_at: str
    revoked_at: str | None = None
    # Per-key overrides of BUNRI_LIMITS__*; None = the setting.
    rpm: int | None = None
    inflight: int | None = None
    daily_usd: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _read(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [ApiKey(**entry) for entry in raw["keys"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path} is not a bunri keys file") from exc


def _write(path: Path, keys: list[ApiKey]) -> None:
    # Atomic replace, owner-only: the gateway may re-read the file at any moment.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"keys": [asdict(k) for k in keys]}, out, ensure_ascii=False, indent=1)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def create_key(path: Path, name: str, *, rpm: int | None = None, inflight: int | None = None,
               daily_usd: float | None = None) -> tuple[ApiKey, str]:
    """Add a key; return it and the secret key text (shown once, never stored)."""
    keys = _read(path)
    key_id = secrets.token_hex(4)
    while any(k.id == key_id for k in keys):
        key_id = secrets.token_hex(4)
    text = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    entry = ApiKey(id=key_id, name=name, sha256=_digest(text), created_at=datetime.now(UTC).isoformat(),
                   rpm=rpm, inflight=inflight, daily_usd=daily_usd)
    _write(path, [*keys, entry])
    return entry, text


def list_keys(path: Path) -> list[ApiKey]:
    return _read(path)


def revoke_key(path: Path, key_id: str) -> ApiKey:
    keys = _read(path)
    for i, key in enumerate(keys):
        if key.id == key_id:
            keys[i] = replace(key, revoked_at=key.revoked_at or datetime.now(UTC).isoformat())
            _write(path, keys)
            return keys[i]
    raise KeyFileError(f"no key {key_id!r} in {path}")


class KeyRing:
    """The keys file as the gateway sees it: re-read when it changes (checked at most once a second)."""

    def __init__(self, path: Path, *, check_every_s: float = 1.0) -> None:
        self.path, self._every = path, check_every_s
        self._keys: dict[str, ApiKey] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._refresh(force=True)

    def _refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self._every:
            return
        self._checked = now
        stamp = None
        with contextlib.suppress(FileNotFoundError):
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._keys = {k.id: k for k in _read(self.path)}
            self._stamp = stamp

    def __len__(self) -> int:
        return sum(1 for k in self._keys.values() if k.active)

    def check(self, presented: str) -> ApiKey | None:
        """The active key ``presented`` is, or None (unknown, malformed or revoked)."""
        self._refresh()
        if not presented.startswith(_PREFIX) or len(presented) > 200:
            return None
        key_id = presented[len(_PREFIX):].split("_", 1)[0]
        key = self._keys.get(key_id)
        if key is None or not key.active:
            return None
        return key if hmac.compare_digest(key.sha256, _digest(presented)) else None
