"""The periodic sweep of the object store (the seed's celery-beat job; `bunri scheduler` runs it).

- ``raw/``: uploads (and their processed markers) older than ``raw_retention_s``. Normally the
  preprocess stage deletes an upload as soon as it is processed; this catches uploads whose query
  never reached it (gateway crash, dead letter, expired deadline).
- ``cache/``: entries older than the TTL, then the oldest entries beyond ``max_entries``
  (one bound over all namespaces).
- ``images/``: normalised images not used for ``image_retention_s`` (30 days). The preprocess stage
  touches an image every time a query reuses it, so its age counts from the *last* query that
  referenced it: an image is deleted only when every recorded ``q.gpt5`` message that names it is
  older than the retention, so ``bunri replay --from q.gpt5`` never finds a photo missing within it,
  and a query in flight (touched seconds ago) never loses its image.

Ages come from the store's last-modified time, so the sweep never downloads an entry.

Example::

    report = await sweep(store, settings.cache, settings.preprocess, datetime.now(UTC))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.cache import CACHE_PREFIX
from streams.settings import CacheSettings, PreprocessSettings
from streams.store import ObjectStore, StoredObject

__all__ = ["SweepReport", "sweep"]

logger = logging.getLogger(__name__)

RAW_PREFIX = "raw/"
IMAGES_PREFIX = "images/"
# Deletes in flight at once: enough to clear a large trim quickly without flooding the store.
_PARALLEL_DELETES = 16


@dataclass(frozen=True)
class SweepReport:
    raw_deleted: int = 0
    cache_expired: int = 0
    cache_trimmed: int = 0
    cache_kept: int = 0
    images_deleted: int = 0


async def sweep(
    store: ObjectStore,
    cache_settings: CacheSettings,
    preprocess_settings: PreprocessSettings,
    now: datetime,
) -> SweepReport:
    """Delete old raw uploads, expired cache entries, the oldest entries over the bound, unused images.

    ``now`` must be timezone-aware. Store errors propagate (StoreUnavailable): the next run retries.
    """
    if now.tzinfo is None:
        raise ValueError("sweep() needs a timezone-aware now (store times are UTC)")
    raw_cutoff = now - timedelta(seconds=preprocess_settings.raw_retention_s)
    stale_raw = [o for o in await store.list(RAW_PREFIX) if o.last_modified <= raw_cutoff]
    await _delete_all(store, stale_raw)

    expired, trimmed, kept = _cache_victims(await store.list(CACHE_PREFIX), cache_settings, now)
    await _delete_all(store, [*expired, *trimmed])

    image_cutoff = now - timedelta(seconds=preprocess_settings.image_retention_s)
    stale_images = [o for o in await store.list(IMAGES_PREFIX) if o.last_modified <= image_cutoff]
    await _delete_all(store, stale_images)
    report = SweepReport(len(stale_raw), len(expired), len(trimmed), kept, len(stale_images))
    logger.info("sweep: %s", report)
    return report


def _cache_victims(
    entries: list[StoredObject], settings: CacheSettings, now: datetime
) -> tuple[list[StoredObject], list[StoredObject], int]:
    """(expired, over the bound oldest first, number kept)."""
    cutoff = now - timedelta(seconds=settings.ttl_s)
    expired = [o for o in entries if o.last_modified <= cutoff]
    live = sorted((o for o in entries if o.last_modified > cutoff), key=lambda o: (o.last_modified, o.key))
    excess = max(0, len(live) - settings.max_entries)
    return expired, live[:excess], len(live) - excess


async def _delete_all(store: ObjectStore, objects: Iterable[StoredObject]) -> None:
    # In batches, and re-raising the first error as itself: the scheduler catches StoreUnavailable,
    # not an ExceptionGroup, and simply tries again at the next tick.
    keys = [o.key for o in objects]
    for i in range(0, len(keys), _PARALLEL_DELETES):
        batch = keys[i : i + _PARALLEL_DELETES]
        results = await asyncio.gather(*(store.delete(k) for k in batch), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
