"""Accepting a query: claim-check the upload into the object store, build the request.

Shared by the gateway and the CLI so both refuse the same bad input the same way,
before anything enters Kafka.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from streams import contracts as c
from streams.errors import InvalidInput
from streams.imaging import HEAD_BYTES, check_upload
from streams.settings import Settings

__all__ = ["build_request", "clean_question"]

#: Unicode categories that render as nothing: control, format (U+200B-U+200D, U+2060, U+FEFF, bidi),
#: surrogates, private use and unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
#: Letters that draw nothing (Hangul fillers, the blank braille cell): a question of them is empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(value: str) -> str:
    # NFC first (decomposed Hangul from iOS/macOS keyboards); then drop format (zero-width, BOM, bidi
    # controls) and control characters, which render as nothing; tabs and newlines are kept.
    text = unicodedata.normalize("NFC", value)
    return "".join(ch for ch in text if ch in "\t\n\r" or (
        unicodedata.category(ch) not in _INVISIBLE and ch not in _BLANK_LETTERS)).strip()


def clean_question(value: object) -> str:
    """The question, normalised (NFC, no invisible characters) and trimmed; InvalidInput when missing,
    without visible text or over 500 characters."""
    text = _visible(value) if isinstance(value, str) else ""
    if not text:
        raise InvalidInput("question is required (1 to 500 characters of visible text)")
    if len(text) > c.MAX_QUESTION_CHARS:
        raise InvalidInput(f"question has {len(text)} characters; at most {c.MAX_QUESTION_CHARS} are allowed")
    return text


async def build_request(
    settings: Settings, store: Any, question: str, *, image: bytes | None = None,
    filename: str | None = None, content_type: str | None = None, idempotency_key: str | None = None,
    query_id: UUID | None = None, use_cache: bool = True, region: str | None = None,
) -> c.QueryRequest:
    """Validate, store the upload under ``raw/{query_id}`` and return the ``q.preprocess`` message.

    ``region`` (a 시·군·구 code or name) is resolved here: only the district travels, never what was typed.
    """
    question = clean_question(question)
    district, choices = _region(region)
    query_id = query_id or uuid.uuid4()
    ref = None
    if image is not None:
        check_upload(image[:HEAD_BYTES], len(image), settings.preprocess)  # typed 4xx-style errors
        key = f"raw/{query_id}"
        await store.put(key, image, "application/octet-stream")
        ref = c.ImageRef(key=key, size=len(image), content_type=content_type, filename=filename or None)
    now = c.utcnow()
    return c.QueryRequest(
        envelope=c.Envelope(query_id=query_id, created_at=now,
                            deadline=now + timedelta(seconds=settings.query_timeout_s)),
        question=question, image=ref, idempotency_key=idempotency_key, use_cache=use_cache,
        region=district, region_choices=choices,
    )


def _region(value: str | None) -> tuple[c.RegionRef | None, list[c.RegionRef]]:
    if value is None:
        return None, []
    from streams.regions import read_region_field  # only a query with a region pays for the table

    return read_region_field(value)
