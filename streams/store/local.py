"""A directory as an object store: development, the CLI and tests."""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from streams.errors import StoreUnavailable
from streams.store.base import Listing, ObjectNotFound, StoredObject, validate_key, validate_prefix

__all__ = ["INLINE_BYTES", "LocalStore"]

#: Local objects up to this size are read and written on the event loop, as are the metadata calls
#: (stat, utime, unlink): a page-cache copy of a few hundred KB takes a fraction of a millisecond, less
#: than the thread-pool hop around it (submit, wake-up, GIL hand-back), and a photo query made ~14 of
#: them. Bigger objects (raw uploads up to 20 MB) and directory walks still go to a thread. A data dir on
#: a slow mount would show as event-loop lag (bunri_event_loop_lag_seconds); use S3 there.
INLINE_BYTES = 512 * 1024


class LocalStore:
    """A directory as an object store. Writes are atomic (temp file + rename)."""

    kind: Literal["local"] = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        if len(data) <= INLINE_BYTES:
            _local_now(self._put, self._path(key), data)
        else:
            await _local_io(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readers in other workers must never see a half-written file; the rename is atomic.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            if path.stat().st_size <= INLINE_BYTES:
                return path.read_bytes()
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as e:
            raise StoreUnavailable(f"local store: {e}") from e

    async def exists(self, key: str) -> bool:
        found: bool = _local_now(self._path(key).is_file)
        return found

    async def delete(self, key: str) -> None:
        _local_now(self._path(key).unlink, missing_ok=True)

    async def touch(self, key: str) -> bool:
        """Set the object's last-modified time to now (retention counts from it); False if it is gone."""
        found: bool = _local_now(self._touch, self._path(key))
        return found

    @staticmethod
    def _touch(path: Path) -> bool:
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        return True

    async def list(self, prefix: str) -> Listing:
        found: Listing = await _local_io(self._list, validate_prefix(prefix))
        return found

    def _list(self, prefix: str) -> Listing:
        # Walk only the directory the prefix names; match the rest of the prefix on the key.
        base = self.root / prefix.rpartition("/")[0]
        found: Listing = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if name.startswith(".") or not key.startswith(prefix):
                    continue
                try:
                    st = path.stat()
                except FileNotFoundError:  # deleted by another worker while we walked
                    continue
                found.append(StoredObject(key, datetime.fromtimestamp(st.st_mtime, UTC), st.st_size))
        return sorted(found, key=lambda o: o.key)

    async def presigned_url(self, key: str, ttl_s: int | None = None) -> str | None:
        # No URL for a local directory: the model stage sends the bytes as a data URL.
        validate_key(key)
        return None


async def _local_io(fn: Any, *args: Any, **kwargs: Any) -> Any:
    # Disk full, permissions, a vanished mount: the same contract as S3 (transient, not the message's fault).
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except OSError as e:
        raise StoreUnavailable(f"local store: {e}") from e


def _local_now(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """:func:`_local_io` on the event loop, for small objects and metadata (see :data:`INLINE_BYTES`)."""
    try:
        return fn(*args, **kwargs)
    except OSError as e:
        raise StoreUnavailable(f"local store: {e}") from e
