"""The object store's interface: what an object is, what a store does, which keys are safe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from streams.errors import InvalidInput

__all__ = ["Listing", "ObjectNotFound", "ObjectStore", "StoredObject", "validate_key", "validate_prefix"]

_SEGMENT = re.compile(r"[A-Za-z0-9_=-][A-Za-z0-9._=-]*")
_MAX_KEY = 512


class ObjectNotFound(KeyError):
    """The key does not exist (never uploaded, already processed or swept)."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: datetime
    size: int


#: What ``list`` returns (an alias: inside the store classes, ``list`` names the method).
Listing = list[StoredObject]


class ObjectStore(Protocol):
    """Async object store; every implementation validates keys with :func:`validate_key`."""

    @property
    def kind(self) -> Literal["local", "s3"]: ...

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def list(self, prefix: str) -> Listing: ...
    async def touch(self, key: str) -> bool: ...
    async def presigned_url(self, key: str, ttl_s: int | None = None) -> str | None: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidInput`.

    Keys reach us from messages, so they are treated as hostile: every ``/``-separated segment
    must be a plain name that cannot start with a dot. That rules out ``..``, hidden files,
    absolute paths, backslashes and empty segments on both the local and the S3 side.
    """
    segments = key.split("/")
    if len(key) > _MAX_KEY or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidInput(f"invalid object key {key[:80]!r}")
    return key


def validate_prefix(prefix: str) -> str:
    # A prefix is a key, optionally ending with "/", or empty (everything).
    if prefix:
        validate_key(prefix.removesuffix("/"))
    return prefix
