"""Any S3-compatible store through boto3 (AWS, MinIO, ...); credentials from the standard ``AWS_*`` variables."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any, Literal

from streams.errors import StoreUnavailable
from streams.store.base import Listing, ObjectNotFound, StoredObject, validate_key, validate_prefix

__all__ = ["S3Store"]


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
        full = self.prefix + validate_prefix(prefix)
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
