"""What a replay re-runs: recorded requests from ``q.preprocess`` or ``q.gpt5``, or lines of a JSONL file.

A file may hold ``bunri export`` lines of either topic, or question lines ``{"question", "image"?, "id"?,
"accepted"?, "item_id"?}`` (a labelled set is one). Recorded values are read tolerantly
(:func:`streams.contracts.decode`): a recording made by a newer bunri still replays. A recorded value
that is not a request at all (a poison message) becomes an item with ``problem`` set, so the run
reports it instead of stopping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from streams import contracts as c
from streams.eval.errors import SourceError
from streams.eval.export import Recorded, parse_instant

__all__ = ["REPLAYABLE", "ReplayItem", "file_items", "recorded_item"]

#: Topic base name -> the request model recorded on it.
REPLAYABLE: dict[str, type[c.QueryRequest] | type[c.PreparedQuery]] = {
    "q.preprocess": c.QueryRequest,
    "q.gpt5": c.PreparedQuery,
}


@dataclass(frozen=True)
class ReplayItem:
    """One query to re-run.

    ``ref`` is what results and comparisons join on: the line's ``id`` (a labelled set), else the
    original query id, else ``file:line``.
    """

    ref: str
    question: str | None
    origin: str
    replay_of: UUID | None = None
    recorded: c.QueryRequest | c.PreparedQuery | None = None
    recorded_at: datetime | None = None
    image_path: Path | None = None
    label: dict[str, Any] | None = None
    problem: str | None = None  # set when the source line cannot be re-run (reported, not fatal)


def recorded_item(rec: Recorded) -> ReplayItem:
    """The item for a record of ``q.preprocess`` or ``q.gpt5`` (any prefix)."""
    return _recorded(_base_topic(rec.topic), rec.value, f"{rec.topic}[{rec.partition}]@{rec.offset}",
                     rec.timestamp, rec.key)


def _base_topic(topic: str) -> str:
    for base in REPLAYABLE:
        if topic == base or topic.endswith("." + base):
            return base
    raise SourceError(f"replay reads requests from q.preprocess or q.gpt5, not from {topic}")


def _recorded(base: str, value: bytes, origin: str, at: datetime | None, key: str | None) -> ReplayItem:
    try:
        msg = c.decode(REPLAYABLE[base], value)
    except ValidationError as exc:
        first = exc.errors()[0]
        why = f"unreadable {base} value ({first['type']} at {'.'.join(map(str, first['loc'])) or 'top'})"
        return ReplayItem(ref=key or origin, question=None, origin=origin, recorded_at=at, problem=why)
    qid = msg.envelope.query_id
    return ReplayItem(ref=str(qid), question=msg.question, origin=origin, replay_of=qid, recorded=msg,
                      recorded_at=at)


def file_items(path: Path, *, since: datetime | None = None, until: datetime | None = None,
               limit: int | None = None) -> Iterator[ReplayItem]:
    """The items of a JSONL file: export lines (filtered by time) and question lines, at most ``limit``.

    Raises:
        SourceError: no such file, or a line that is neither kind.
    """
    if not path.is_file():
        raise SourceError(f"no such file: {path}")
    count = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        origin = f"{path.name}:{n}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise SourceError(f"{origin}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise SourceError(f"{origin}: want a JSON object")
        item = _exported(row, origin) if "value" in row and "topic" in row else _question(row, origin, path)
        if item.recorded_at is not None and ((since and item.recorded_at < since) or
                                             (until and item.recorded_at > until)):
            continue
        yield item
        count += 1
        if limit is not None and count >= limit:
            return


def _exported(row: dict[str, Any], origin: str) -> ReplayItem:
    value = row["value"]
    raw = (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).encode()
    at = parse_instant(row["timestamp"]) if row.get("timestamp") else None
    return _recorded(_base_topic(str(row["topic"])), raw, origin, at, row.get("key"))


def _question(row: dict[str, Any], origin: str, path: Path) -> ReplayItem:
    question = row.get("question")
    if not isinstance(question, str):
        raise SourceError(f"{origin}: want an export line (topic, value) or a question line (question, ...)")
    image = row.get("image")
    image_path = None
    if image:
        image_path = Path(image) if Path(image).is_absolute() else path.parent / image
    labelled = row.get("accepted") or row.get("needs_clarification")
    label = {k: row.get(k) for k in ("accepted", "item_id", "needs_clarification", "class")} if labelled else None
    ref = str(row["id"]) if row.get("id") is not None else origin
    return ReplayItem(ref=ref, question=question, origin=origin, image_path=image_path, label=label)
