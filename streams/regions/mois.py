"""The client of 행정안전부 생활쓰레기배출정보 (data.go.kr 15155080): one district's rows, within a deadline.

``GET {base_url}?serviceKey=…&pageNo=N&numOfRows=100&returnType=json&cond[SGG_NM::LIKE]=<name>`` answers
``{"response": {"header": {"resultCode", "resultMsg"}, "body": {"pageNo", "numOfRows", "totalCount",
"items": {"item": [...]}}}}``. The client asks for the district's (or its city's) name, follows the pages
until ``totalCount`` rows are in, and keeps only the district's own rows (:func:`~streams.regions.schedule.from_rows`).

Failures: a timeout, a connection error, HTTP 429/5xx and the portal's transient result codes are retried
with a short backoff while the budget lasts; a refused key or request (HTTP 401/403, result codes 10–33)
is not. ``resultCode`` ``03`` (no data) is an empty answer, not an error. The data.go.kr gateway answers
some errors with XML even when JSON was asked for; those are errors too.

The service key never appears in a log line or an error: it travels only in the query string, and the
``httpx`` logger's request lines are redacted.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx

from streams.regions.guide import RegionalDataError, rows_of
from streams.regions.schedule import DistrictData, from_rows
from streams.regions.table import District

__all__ = ["PAGE_SIZE", "MoisClient"]

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # the API's maximum numOfRows
MAX_PAGES = 30
_OK = frozenset({"00", "0"})
_NO_DATA = "03"
# data.go.kr's common codes: 01 application, 02 DB, 04 HTTP, 05 service timeout, 99 unknown → try again;
# 10–12 bad request or service, 20–22 access denied or quota, 30–33 key not registered/expired/IP → do not.
_TRANSIENT_CODES = frozenset({"01", "02", "04", "05", "99"})
_XML_CODE = re.compile(r"<(?:returnReasonCode|resultCode)>\s*(\d+)\s*<")
_XML_MSG = re.compile(r"<(?:returnAuthMsg|resultMsg|errMsg)>\s*([^<]{0,80})<")
_KEY_IN_URL = re.compile(r"(serviceKey=)[^&\s\"']+", re.IGNORECASE)


class _Redact(logging.Filter):
    """Masks ``serviceKey=…`` in the request lines httpx logs at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_KEY_IN_URL.sub(r"\1***", str(a)) if "serviceKey" in str(a) else a
                                for a in record.args)
        elif "serviceKey" in str(record.msg):
            record.msg = _KEY_IN_URL.sub(r"\1***", str(record.msg))
        return True


_REDACT = _Redact()


def _install_redaction() -> None:
    for name in ("httpx", "httpcore"):
        log = logging.getLogger(name)
        if _REDACT not in log.filters:
            log.addFilter(_REDACT)


class _Page:
    def __init__(self, rows: list[dict[str, Any]], total: int) -> None:
        self.rows, self.total = rows, total


class MoisClient:
    """:class:`~streams.regions.guide.RegionalGuide` over the MOIS open API (see the module docstring).

    Args:
        service_key: The data.go.kr key, as issued ("Decoding" form; an already URL-encoded key is decoded once).
        base_url: The ``/info`` endpoint.
        timeout_s: At most this long per district lookup, retries included (the caller's budget may be shorter).
        max_retries: Retries of one page after a transient failure.
        transport: An httpx transport (tests); default: the network.
    """

    name = "mois-api"

    def __init__(self, *, service_key: str, base_url: str, timeout_s: float = 4.0, max_retries: int = 2,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._key = unquote(service_key) if "%" in service_key else service_key
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._transport = transport
        self._sleep = sleep
        _install_redaction()

    async def district(self, district: District, *, budget_s: float) -> DistrictData | None:
        deadline = time.monotonic() + max(0.0, min(budget_s, self.timeout_s))
        name = (district.sigungu.split() or [district.sido[:2]])[0]  # the city of "수원시 영통구"; 세종 for 세종
        rows: list[dict[str, Any]] = []
        async with httpx.AsyncClient(transport=self._transport, follow_redirects=False) as client:
            page_no = 1
            while True:
                page = await self._page(client, name, page_no, deadline)
                rows.extend(page.rows)
                if not page.rows or len(rows) >= page.total or page_no >= MAX_PAGES:
                    break
                page_no += 1
        data = from_rows(rows, district)
        logger.info("regions: district %s: %d row(s) in %d page(s), %d zone(s) kept", district.code, len(rows),
                    page_no, len(data.zones))
        return data if data.zones else None

    async def _page(self, client: httpx.AsyncClient, name: str, page_no: int, deadline: float) -> _Page:
        params = {"serviceKey": self._key, "pageNo": str(page_no), "numOfRows": str(PAGE_SIZE),
                  "returnType": "json", "cond[SGG_NM::LIKE]": name}
        attempt = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RegionalDataError("no answer from the MOIS API within the time left")
            try:
                async with asyncio.timeout(left):
                    resp = await client.get(self.base_url, params=params, timeout=httpx.Timeout(left))
                return self._parse(resp)
            except RegionalDataError as exc:
                if not exc.transient:
                    raise
                error: RegionalDataError = exc
            except (TimeoutError, httpx.TimeoutException):
                error = RegionalDataError("the MOIS API timed out")
            except httpx.HTTPError as exc:
                error = RegionalDataError(f"the MOIS API is unreachable ({type(exc).__name__})")
            attempt += 1
            pause = min(0.2 * 2 ** (attempt - 1), 1.0)
            if attempt > self.max_retries or deadline - time.monotonic() <= pause:
                raise error
            logger.info("regions: MOIS API page %d failed (%s); retry %d", page_no, error, attempt)
            await self._sleep(pause)

    @staticmethod
    def _parse(resp: httpx.Response) -> _Page:
        if resp.status_code in (401, 403):
            raise RegionalDataError(f"the MOIS API refused the service key (HTTP {resp.status_code})",
                                    transient=False)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RegionalDataError(f"the MOIS API answered HTTP {resp.status_code}")
        if resp.status_code != 200:
            raise RegionalDataError(f"the MOIS API answered HTTP {resp.status_code}", transient=False)
        try:
            payload = resp.json()
        except ValueError:
            code = _XML_CODE.search(resp.text)
            msg = _XML_MSG.search(resp.text)
            said = f"{code.group(1) if code else '?'} {msg.group(1).strip() if msg else ''}".strip()
            transient = bool(code) and code.group(1).zfill(2) in _TRANSIENT_CODES
            raise RegionalDataError(f"the MOIS API answered an error instead of JSON ({said})",
                                    transient=transient) from None
        response = payload.get("response") if isinstance(payload, dict) else None
        header = response.get("header", {}) if isinstance(response, dict) else {}
        code = str(header.get("resultCode", "")).strip() if isinstance(header, dict) else ""
        code = code.zfill(2) if code else ""
        if code == _NO_DATA:
            return _Page([], 0)
        if code not in _OK:
            msg = str(header.get("resultMsg", ""))[:80] if isinstance(header, dict) else ""
            raise RegionalDataError(f"the MOIS API answered resultCode {code or '?'} {msg}".strip(),
                                    transient=code in _TRANSIENT_CODES)
        body = response.get("body", {}) if isinstance(response, dict) else {}
        try:
            total = int(body.get("totalCount") or 0)
        except (TypeError, ValueError):
            total = 0
        return _Page(rows_of(payload), total)
