"""``bunri schemas``: the JSON Schema of every topic's value, generated from the contracts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from streams.topics import BASE_NAMES, VALUE_MODELS

__all__ = ["add_parser", "topic_schemas", "SCHEMA_DIR"]

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def topic_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per topic (``q.gpt5.v1.json`` ...)."""
    out = {}
    for key, model in VALUE_MODELS.items():
        schema = TypeAdapter(model).json_schema(mode="serialization")
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://bunri.dev/schemas/{BASE_NAMES[key]}.v1.json",
                  "title": schema.get("title", BASE_NAMES[key]), **schema}
        out[f"{BASE_NAMES[key]}.v1.json"] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schemas", help="write or check the committed JSON Schemas under schemas/")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="(re)write schemas/*.json")
    group.add_argument("--check", action="store_true", help="exit 1 if schemas/ differs from the contracts")
    p.add_argument("--dir", type=Path, default=SCHEMA_DIR)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    schemas = topic_schemas()
    if args.write:
        args.dir.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (args.dir / name).write_text(render(schema), encoding="utf-8")
        print(f"wrote {len(schemas)} schemas to {args.dir}")  # noqa: T201
        return 0
    if args.check:
        stale = [n for n, s in schemas.items()
                 if not (args.dir / n).exists() or (args.dir / n).read_text(encoding="utf-8") != render(s)]
        if stale:
            print(f"schemas differ from streams/contracts.py: {', '.join(stale)}; "  # noqa: T201
                  "run `bunri schemas --write` and review the change", file=sys.stderr)
            return 1
        print(f"{len(schemas)} schemas match the contracts")  # noqa: T201
        return 0
    for name in schemas:
        print(name)  # noqa: T201
    return 0
