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

from streams.settings import Settings
from streams.store.base import Listing, ObjectNotFound, ObjectStore, StoredObject, validate_key
from streams.store.local import INLINE_BYTES, LocalStore
from streams.store.s3 import S3Store

__all__ = [
    "INLINE_BYTES",
    "Listing",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "S3Store",
    "StoredObject",
    "make_store",
    "validate_key",
]


def make_store(settings: Settings) -> ObjectStore:
    """S3 when ``settings.s3.bucket`` is set, else a local directory under ``settings.data_dir``."""
    s3 = settings.s3
    if s3.bucket:
        return S3Store(s3.bucket, s3.endpoint_url, s3.region, s3.prefix, s3.presign_ttl_s)
    return LocalStore(settings.data_dir / "store")
