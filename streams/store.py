"""Object store: claim checks for uploads, normalised images and the shared cache.

One interface, two implementations:

- :class:`LocalStore`: a directory (default ``<data_dir>/store``), for development, the CLI and tests.
- :class:`S3Store`: any S3-compatible store through boto3 (AWS, MinIO, ...). Credentials come from the
  standard ``AWS_*`` variables, which boto3 reads itself.

Key layout (see docs/images.md and docs/cache.md)::

    raw/<id>                         raw uploads, deleted after processing or by the sweep
    raw/<id>.prepared.json           marker left when a raw upload was processed (redelivery)
    images/<sha256>.jpg              normalised images, content-addressed; swept image_retention_s
                                     after the last query that used them (touch() on every reuse)
    cache/<namespace>/<key>.json     cache entries

Example::

    store = make_store(settings)
    await store.put("raw/abc", data, "image/jpeg")
    data = await store.get("raw/abc")
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from streams.errors import InvalidInput, StoreUnavailable
from streams.settings import Settings

__all__ = [
    "Listing",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "S3Store",
    "StoredObject",
    "make_store",
    "validate_key",
]

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


def _validate_prefix(prefix: str) -> str:
    # A prefix is a key, optionally ending with "/", or empty (everything).
    if prefix:
        validate_key(prefix.removesuffix("/"))
    return prefix


class LocalStore:
    """A directory as an object store. Writes are atomic (temp file + rename)."""

    kind: Literal["local"] = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
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
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as e:
            raise StoreUnavailable(f"local store: {e}") from e

    async def exists(self, key: str) -> bool:
        found: bool = await _local_io(self._path(key).is_file)
        return found

    async def delete(self, key: str) -> None:
        await _local_io(self._path(key).unlink, missing_ok=True)

    async def touch(self, key: str) -> bool:
        """Set the object's last-modified time to now (retention counts from it); False if it is gone."""
        found: bool = await _local_io(self._touch, self._path(key))
        return found

    @staticmethod
    def _touch(path: Path) -> bool:
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        return True

    async def list(self, prefix: str) -> Listing:
        found: Listing = await _local_io(self._list, _validate_prefix(prefix))
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


class S3Store:
    """S3 (or MinIO, or any S3-compatible store) through boto3.

    boto3 is blocking, so every call runs in a thread: the worker's event loop never waits on
    the network. Connection problems, throttling, 5xx, credentials and permission errors all
    become :class:`StoreUnavailable` (transient): none of them is the message's fault.
    """

    kind: Literal["s3"] = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        prefix: str = "",
        presign_ttl_s: int = 300,
        *,
        client: Any | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.presign_ttl_s = presign_ttl_s
        self._client = client if client is not None else _make_client(endpoint_url, region)

    def _full(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def _call(self, op: str, **kwargs: Any) -> Any:
        return await self._run(
            op, kwargs.get("Key", ""), getattr(self._client, op), Bucket=self.bucket, **kwargs
        )

    @staticmethod
    async def _run(op: str, key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(key) from None
            raise StoreUnavailable(f"s3 {op} failed: {code or e}") from e
        except (BotoCoreError, OSError) as e:  # OSError: socket errors botocore did not wrap
            raise StoreUnavailable(f"s3 {op} failed: {e}") from e

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        await self._call("put_object", Key=self._full(key), Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:
        full = self._full(key)

        def fetch() -> bytes:
            # Reading the body is network I/O too: same thread, same error mapping.
            body: bytes = self._client.get_object(Bucket=self.bucket, Key=full)["Body"].read()
            return body

        data: bytes = await self._run("get_object", full, fetch)
        return data

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head_object", Key=self._full(key))
        except ObjectNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=self._full(key))

    async def touch(self, key: str) -> bool:
        """Refresh LastModified (retention counts from it) by copying the object onto itself."""
        full = self._full(key)
        try:
            head = await self._call("head_object", Key=full)
            # S3 refuses a self-copy that changes nothing; REPLACE with the same metadata is the idiom.
            await self._call("copy_object", Key=full, CopySource={"Bucket": self.bucket, "Key": full},
                             MetadataDirective="REPLACE", Metadata=head.get("Metadata", {}),
                             ContentType=head.get("ContentType", "application/octet-stream"))
        except ObjectNotFound:
            return False
        return True

    async def list(self, prefix: str) -> Listing:
        full = self.prefix + _validate_prefix(prefix)
        found: Listing = []
        token: dict[str, str] = {}
        while True:
            page = await self._call("list_objects_v2", Prefix=full, **token)
            for obj in page.get("Contents", []):
                key = obj["Key"][len(self.prefix) :]
                found.append(StoredObject(key, obj["LastModified"].astimezone(UTC), int(obj["Size"])))
            if not page.get("IsTruncated"):
                return found
            token = {"ContinuationToken": page["NextContinuationToken"]}

    async def presigned_url(self, key: str, ttl_s: int | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._full(key)}
        # Signing is local, but resolving credentials the first time may touch the network.
        url: str = await asyncio.to_thread(
            self._client.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=ttl_s or self.presign_ttl_s,
        )
        return url


def _make_client(endpoint_url: str | None, region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=region,
        signature_version="s3v4",
        # MinIO and most S3-compatible stores want path-style URLs; AWS accepts both.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        # Above the preprocess pool (8) plus the sweep, so calls never queue for a connection.
        max_pool_connections=32,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def make_store(settings: Settings) -> ObjectStore:
    """S3 when ``settings.s3.bucket`` is set, else a local directory under ``settings.data_dir``."""
    s3 = settings.s3
    if s3.bucket:
        return S3Store(s3.bucket, s3.endpoint_url, s3.region, s3.prefix, s3.presign_ttl_s)
    return LocalStore(settings.data_dir / "store")
