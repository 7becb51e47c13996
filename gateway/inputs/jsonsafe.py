"""JSON parsing that cannot recurse without bound and refuses duplicate keys."""

from __future__ import annotations

import json
from typing import Any

from gateway.errors import ApiError

__all__ = ["MAX_JSON_DEPTH", "loads_strict"]

#: Our request bodies are flat objects; 8 leaves room for a client's envelope without letting a
#: 100,000-deep body reach the recursive parser (RecursionError -> a plain-text 500).
MAX_JSON_DEPTH = 8
_OPEN, _CLOSE, _QUOTE, _ESCAPE = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def _check_depth(raw: bytes, limit: int) -> None:
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                raise ApiError(422, "invalid_input", f"JSON nested deeper than {limit} levels")
        elif byte in _CLOSE:
            depth -= 1


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ApiError(422, "duplicate_field", f"field {key[:40]!r} appears more than once")
        seen[key] = value
    return seen


def loads_strict(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse UTF-8 JSON; ApiError 422 on bad UTF-8, bad JSON, duplicate keys or deep nesting."""
    _check_depth(raw, max_depth)  # before parsing: the depth is what would blow the stack
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_encoding", "the body is not valid UTF-8") from exc
    try:
        return json.loads(text or "null", object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        # json's message names the position only (no internals); useful to the client.
        raise ApiError(422, "invalid_input", f"body is not valid JSON: {exc}") from exc
