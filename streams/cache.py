"""A cache shared by every worker, kept in the object store (why: docs/cache.md).

Entries live at ``cache/{namespace}/{key}.json`` as ``{"stored_at": <unix seconds>, "value": {...}}``.
The TTL is checked on read; :func:`streams.sweep.sweep` deletes expired entries and trims the
cache to ``max_entries``, oldest first.

Namespaces in use:

- ``analysis``: the gpt5 stage's VisionAnalysis, keyed by :func:`analysis_key` (image, question, model, prompt);
- ``answers``: complete Answers, keyed by :func:`answer_key`.

A cache is an optimisation, so a store failure on a cache read or write is logged and treated as
a miss: it never fails a query that could otherwise be answered.

Example::

    cache = Cache(store, settings.cache)
    key = answer_key(image.sha256, question, rules_version, {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"})
    if (hit := await cache.get(ANSWERS, key)) is not None:
        ...
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from streams.errors import StoreUnavailable
from streams.settings import CacheSettings
from streams.store import ObjectNotFound, ObjectStore

__all__ = [
    "ANALYSIS",
    "ANSWERS",
    "CACHE_PREFIX",
    "Cache",
    "analysis_key",
    "answer_key",
    "normalise_question",
]

logger = logging.getLogger(__name__)

CACHE_PREFIX = "cache/"
ANALYSIS = "analysis"
ANSWERS = "answers"
UPLOADS = "uploads"  # sha256 of the raw upload (+ normalisation settings) -> PreparedImage
NO_IMAGE = "noimage"
_NAMESPACE = re.compile(r"[a-z0-9_-]{1,40}")
_KEY = re.compile(r"[0-9a-f]{16,128}")
_SPACE = re.compile(r"\s+")
# Trailing characters that never change a question's meaning: punctuation (P*) plus the tildes and
# symbols Korean chat adds ("버려요~", "어떻게?!", "ㅠㅠ" is kept: it is a letter, not punctuation).
_TRAILING_SYMBOLS = frozenset("~～〜")


def normalise_question(question: str) -> str:
    """The form of a question used in cache keys.

    NFC (macOS and iOS keyboards send decomposed Hangul), whitespace collapsed, trailing
    punctuation dropped, Latin letters lowercased (``PET병`` == ``pet병``).
    """
    q = _SPACE.sub(" ", unicodedata.normalize("NFC", question)).strip()
    end = len(q)
    while end and (unicodedata.category(q[end - 1]).startswith("P") or q[end - 1] in _TRAILING_SYMBOLS):
        end -= 1
    return q[:end].rstrip().lower()


def _digest(parts: dict[str, Any]) -> str:
    # Canonical JSON: key order and dict order of the inputs never change the key.
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def answer_key(image_sha256: str | None, question: str, rules_version: str, models: dict[str, str],
               region: str | None = None) -> str:
    """Key of a complete Answer: the same photo (or none), question, rules and models — and the 시·군·구 code
    the request gave (absent without one, so keys of answers without a region are unchanged)."""
    parts: dict[str, Any] = {
        "v": 1,
        "image": image_sha256 or NO_IMAGE,
        "question": normalise_question(question),
        "rules": rules_version,
        "models": models,
    }
    if region is not None:
        parts["region"] = region
    return _digest(parts)


def analysis_key(image_sha256: str, model: str, prompt_version: str, *, question: str) -> str:
    """Key of the gpt5 stage's analysis of one normalised image for one question.

    The question is part of what the model was asked: two questions about two items in one photo need
    two analyses, and the image alone would hand one user's analysis to another who sent the same photo.
    """
    return _digest({"v": 2, "image": image_sha256, "model": model, "prompt": prompt_version,
                    "question": normalise_question(question)})


def entry_key(namespace: str, key: str) -> str:
    if not _NAMESPACE.fullmatch(namespace) or not _KEY.fullmatch(key):
        raise ValueError(f"bad cache namespace/key {namespace!r}/{key!r}")
    return f"{CACHE_PREFIX}{namespace}/{key}.json"


class Cache:
    """Bounded, shared, durable key -> JSON dict cache on top of an :class:`ObjectStore`."""

    def __init__(
        self, store: ObjectStore, settings: CacheSettings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.settings = settings
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        """The stored value, or None if absent, expired, unreadable or the cache is disabled."""
        if not self.enabled:
            return None
        path = entry_key(namespace, key)
        try:
            raw = await self.store.get(path)
        except ObjectNotFound:
            return None
        except StoreUnavailable as e:
            logger.warning("cache read %s failed, treating as a miss: %s", path, e)
            return None
        return self._decode(path, raw)

    def _decode(self, path: str, raw: bytes) -> dict[str, Any] | None:
        try:
            entry = json.loads(raw)
            stored_at, value = float(entry["stored_at"]), entry["value"]
        except (ValueError, KeyError, TypeError) as e:
            logger.warning("cache entry %s unreadable, treating as a miss: %s", path, e)
            return None
        if not isinstance(value, dict) or self._clock() - stored_at > self.settings.ttl_s:
            return None
        return value

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` (JSON-serialisable). Last writer wins; concurrent writers write equal values."""
        if not self.enabled:
            return
        path = entry_key(namespace, key)
        blob = json.dumps({"stored_at": self._clock(), "value": value}, ensure_ascii=False).encode()
        try:
            await self.store.put(path, blob, "application/json")
        except StoreUnavailable as e:
            logger.warning("cache write %s failed, dropped: %s", path, e)
