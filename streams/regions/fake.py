"""A fake of the MOIS 생활쓰레기배출정보 API on loopback: the real client is tested against it, and
``bunri regions fake-api`` serves it for demos (there is no service key in development).

It answers the real API's JSON shape (``response.header``/``response.body``, pages of ``numOfRows`` ≤ 100,
``totalCount``, ``cond[SGG_NM::LIKE]``), refuses an unknown key the way the data.go.kr gateway does (an XML
error with HTTP 200), and injects faults on request: an HTTP status, a result code, an XML error, or a delay.
It counts requests, so a test can see the cache spare one.

Example::

    with FakeMoisApi(rows, service_key="test-key") as api:
        api.faults.append(503)            # the next request gets HTTP 503
        ...  # BUNRI_PUBLICDATA__BASE_URL=api.url, BUNRI_PUBLICDATA__SERVICE_KEY=test-key
        assert len(api.requests) == 2
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["PATH", "SAMPLE_ROWS", "FakeMoisApi"]

PATH = "/1741000/household_waste_info/info"
_XML_ERROR = ("<OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>"
              "<returnAuthMsg>{msg}</returnAuthMsg><returnReasonCode>{code}</returnReasonCode>"
              "</cmmMsgHeader></OpenAPI_ServiceResponse>")
_MESSAGES = {"00": "NORMAL SERVICE.", "03": "NODATA_ERROR", "10": "INVALID_REQUEST_PARAMETER_ERROR",
             "22": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "30": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
             "99": "UNKNOWN_ERROR"}


def _row(sido: str, sigungu: str, zone: str, **streams: tuple[str, str, str, str]) -> dict[str, str]:
    prefixes = {"general": "LF_WST_EMSN", "food": "FOD_WST_EMSN", "recycle": "RCYCL_EMSN"}
    row = {"CTPV_NM": sido, "SGG_NM": sigungu, "MNG_ZONE_NM": zone, "MNG_ZONE_TRGT_RGN_NM": "예시동",
           "EMSN_PLC_TYPE": "문전수거", "EMSN_PLC_EXPLN": "집 앞", "UNCLLT_DAY": "토요일",
           "CHRG_DEPT_NM": "예시 청소과", "CHRG_DEPT_TELNO": "000-0000-0000", "DAT_CRTR_YMD": "2026-07-01"}
    for stream, (days, start, end, method) in streams.items():
        prefix = prefixes[stream]
        row |= {f"{prefix}_DOW": days, f"{prefix}_BGNG_TM": start, f"{prefix}_END_TM": end, f"{prefix}_MTHD": method}
    return row


#: Made-up rows for demos (``bunri regions fake-api`` with no ``--data``): every method says it is an example,
#: so an answer built from them cannot be mistaken for a district's real schedule.
_MAPO = {"general": ("일요일, 화요일, 목요일", "18:00", "24:00", "예시 데이터"),
         "food": ("매일", "18:00", "24:00", "예시 데이터"),
         "recycle": ("월요일+수요일+금요일", "18:00", "24:00", "예시 데이터")}
SAMPLE_ROWS: list[dict[str, str]] = [
    _row("서울특별시", "마포구", "예시 1구역", **_MAPO),
    _row("서울특별시", "마포구", "예시 2구역", **_MAPO),
    _row("경기도", "수원시 영통구", "예시 구역", general=("월요일, 수요일, 금요일", "19:00", "00:00", "예시 데이터"),
         recycle=("화요일, 목요일", "19:00", "00:00", "예시 데이터")),
    _row("서울특별시", "중구", "예시 구역", recycle=("월요일~토요일", "19:00", "21:00", "예시 데이터")),
    _row("부산광역시", "중구", "예시 구역", recycle=("일요일, 수요일", "20:00", "24:00", "예시 데이터")),
]


class FakeMoisApi:
    """The fake API server (see the module docstring). ``faults`` is consumed one per request: an ``int`` HTTP
    status, a ``str`` result code (``"xml:30"`` for the gateway's XML error), or a ``float`` delay in seconds."""

    def __init__(self, rows: Iterable[dict[str, Any]] = SAMPLE_ROWS, *, service_key: str = "test-key",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.rows = list(rows)
        self.service_key = service_key
        self.requests: list[dict[str, str]] = []
        self.faults: list[int | str | float] = []
        self.delay_s = 0.0
        self.log: Callable[[str], None] | None = None  # one line per request (bunri regions fake-api)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-mois-api", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeMoisApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ answering

    def answer(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request's query parameters."""
        status, ctype, body = self._answer(query)
        if self.log is not None:
            shown = {k: ("***" if k == "serviceKey" else v) for k, v in query.items()}
            self.log(f"request {len(self.requests)}: {shown} -> HTTP {status}")
        return status, ctype, body

    def _answer(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        with self._lock:
            self.requests.append(query)
            fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, float):
            time.sleep(fault)
        elif isinstance(fault, int):
            return fault, "text/plain", b"fault injected"
        elif isinstance(fault, str):
            return self._error(fault)
        if self.delay_s:
            time.sleep(self.delay_s)
        if query.get("serviceKey") != self.service_key:
            return self._error("xml:30")
        try:
            page, size = int(query.get("pageNo", "1")), int(query.get("numOfRows", "10"))
        except ValueError:
            return self._error("10")
        if size > 100 or size < 1 or page < 1:
            return self._error("10")
        wanted = query.get("cond[SGG_NM::LIKE]", "")
        rows = [r for r in self.rows if wanted in str(r.get("SGG_NM", ""))]
        chunk = rows[(page - 1) * size: page * size]
        body = {"pageNo": page, "numOfRows": size, "totalCount": len(rows),
                "items": {"item": chunk} if chunk else ""}
        return 200, "application/json", self._json("00", body)

    def _error(self, fault: str) -> tuple[int, str, bytes]:
        if fault.startswith("xml:"):
            code = fault[4:]
            return 200, "text/xml", _XML_ERROR.format(msg=_MESSAGES.get(code, "ERROR"), code=code).encode()
        return 200, "application/json", self._json(fault, {})

    @staticmethod
    def _json(code: str, body: dict[str, Any]) -> bytes:
        header = {"resultCode": code, "resultMsg": _MESSAGES.get(code, "ERROR")}
        return json.dumps({"response": {"header": header, "body": body}}, ensure_ascii=False).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
                url = urlsplit(self.path)
                if url.path != PATH:
                    self._send(404, "text/plain", b"not found")
                    return
                query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                self._send(*api.answer(query))

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", f"{ctype}; charset=utf-8")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: tests and demos print their own lines

        return Handler
