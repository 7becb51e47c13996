"""Where district schedules come from: the :class:`RegionalGuide` protocol and its implementations.

- :class:`~streams.regions.mois.MoisClient`: the 행정안전부 open API (async HTTP, paging, retries within
  the deadline), wrapped in
- :class:`CachedGuide`: one object-store cache entry per district (``cache/regions/…``) with its own TTL,
  so a district is fetched once per TTL across every worker, whatever the question;
- :class:`FileGuide`: a JSON file in the API's response shape, for tests and offline use.

:func:`make_guide` picks one from :class:`~streams.settings.PublicDataSettings`: the file when set, else the
API when a service key is set, else none (answers then say where to look instead of guessing).

Example::

    guide = make_guide(settings.publicdata, store)
    data = await guide.district(district_table().get("11680"), budget_s=3.0)   # DistrictData or None
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Protocol

from streams.regions.schedule import DistrictData, from_rows
from streams.regions.table import District

__all__ = ["CACHE_NAMESPACE", "CachedGuide", "FileGuide", "RegionalDataError", "RegionalGuide", "make_guide",
           "rows_of"]

logger = logging.getLogger(__name__)

CACHE_NAMESPACE = "regions"
_CACHE_VERSION = 1  # bump when DistrictData changes shape: old entries then miss


class RegionalDataError(Exception):
    """The district's data could not be had now (never raised for "no data": that is ``None``).

    ``transient`` says whether asking again later may work (timeouts, 5xx) or not (a refused key).
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class RegionalGuide(Protocol):
    """A source of official per-district collection data."""

    name: str  # "mois-api", "file": which source answered, for warnings and docs

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        """The district's schedules; None when the source has none for it.

        Raises:
            RegionalDataError: the source failed or did not answer within ``budget_s`` seconds.
        """
        ...


def rows_of(payload: Any) -> list[dict[str, Any]]:
    """The item rows of an API response (``response.body.items.item``), a ``{"items": [...]}`` or a bare list.

    The API sends a single row as an object rather than a list, and no rows as ``""``: both are accepted.
    """
    if isinstance(payload, list):
        return [r for r in payload if isinstance(r, dict)]
    if not isinstance(payload, dict):
        return []
    body = payload.get("response", {}).get("body", payload) if isinstance(payload.get("response"), dict) else payload
    items = body.get("items") if isinstance(body, dict) else None
    if isinstance(items, dict):
        items = items.get("item")
    if isinstance(items, dict):
        items = [items]
    return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


class FileGuide:
    """District data from a local JSON file in the API's shape (one page holding every row, or a list)."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._rows = rows_of(json.loads(self.path.read_text(encoding="utf-8")))

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        data = from_rows(self._rows, district)
        return data if data.zones else None


class CachedGuide:
    """``inner`` behind a per-district cache in the object store; failures are not cached, "no data" is."""

    def __init__(self, inner: RegionalGuide, cache: Any) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def key(district: District, source: str) -> str:
        return hashlib.sha256(f"{source}|{_CACHE_VERSION}|{district.code}".encode()).hexdigest()

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        key = self.key(district, self.inner.name)
        # One fetch per district at a time in this process: concurrent questions wait for it.
        async with self._locks.setdefault(district.code, asyncio.Lock()):
            hit = await self.cache.get(CACHE_NAMESPACE, key)
            if hit is not None:
                cached = _cached(hit)
                if cached is not None or hit.get("none"):
                    logger.debug("regions: district %s from the cache", district.code)
                    return cached
            data = await self.inner.district(district, budget_s=budget_s)
            value = {"none": True} if data is None else {"data": data.model_dump(mode="json")}
            await self.cache.put(CACHE_NAMESPACE, key, value)
            return data


def _cached(value: dict[str, Any]) -> DistrictData | None:
    try:
        return DistrictData.model_validate(value["data"]) if "data" in value else None
    except ValueError:
        return None


def make_guide(settings: Any, store: Any) -> RegionalGuide | None:
    """The guide the settings ask for (see the module docstring), or None."""
    if settings.file is not None:
        return FileGuide(settings.file)
    key = settings.service_key.get_secret_value() if settings.service_key is not None else ""
    if not key.strip():
        return None
    from streams.cache import Cache
    from streams.regions.mois import MoisClient
    from streams.settings import CacheSettings

    client = MoisClient(service_key=key, base_url=settings.base_url, timeout_s=settings.timeout_s,
                        max_retries=settings.max_retries)
    if settings.cache_ttl_s <= 0:
        return client
    cache = Cache(store, CacheSettings(enabled=True, ttl_s=settings.cache_ttl_s))
    return CachedGuide(client, cache)
