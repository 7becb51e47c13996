"""`bunri ask --region`: the flag and batch lines reach the query, also when a running server is asked."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streams import contracts as c
from streams.cli import ask, remote
from streams.cli.main import build_parser


def _answer() -> dict[str, Any]:
    return c.Answer(query_id=uuid.uuid4(), question="q", answer="a", item=None,
                    analysis=c.VisionAnalysis(saw_image=False)).model_dump(mode="json")


@pytest.fixture
def seen_server() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    seen: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            seen.append((self.headers["content-type"], self.rfile.read(int(self.headers["content-length"]))))
            data = json.dumps(_answer()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", seen
    srv.shutdown()


def test_the_flag_is_parsed() -> None:
    args = build_parser("ask").parse_args(["ask", "--region", "서울 강남구", "생수병"])
    assert args.region == "서울 강남구"
    assert build_parser("ask").parse_args(["ask", "생수병"]).region is None


async def test_a_running_server_gets_the_region(seen_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, seen = seen_server
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    async with remote.RemoteAsker(url, timeout_s=5) as asker:
        await asker.ask("생수병", None, region="강남구")
        await asker.ask("생수병", photo, region="강남구")
        await asker.ask("생수병", None)
    assert json.loads(seen[0][1]) == {"question": "생수병", "region": "강남구"}
    assert b'name="region"\r\n\r\n' + "강남구".encode() in seen[1][1]
    assert json.loads(seen[2][1]) == {"question": "생수병"}


async def test_batch_lines_carry_their_region_or_the_flag_s(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    async def fake_ask(question: str, image: Path | None, use_cache: bool, region: str | None = None) -> c.Answer:
        calls.append({"question": question, "region": region})
        return c.Answer.model_validate(_answer())

    own = json.dumps({"question": "생수병", "region": "마포구"})
    await ask._batch_record(1, own, fake_ask, tmp_path, True, "강남구")  # noqa: SLF001
    await ask._batch_record(2, json.dumps({"question": "우유팩"}), fake_ask, tmp_path, True, "강남구")  # noqa: SLF001
    assert calls == [{"question": "생수병", "region": "마포구"}, {"question": "우유팩", "region": "강남구"}]
