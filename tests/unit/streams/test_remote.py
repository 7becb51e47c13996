"""`bunri ask` finds a running `bunri serve` through its lock file, and asks it over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streams import contracts as c
from streams.cli import remote
from streams.errors import BrokerUnavailable, InvalidInput
from streams.settings import Settings

Handler = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, Any]]]


@pytest.fixture
def server() -> Iterator[Callable[[Handler], str]]:
    """A loopback HTTP server answering with ``handler(request) -> (status, json body)``."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: Handler) -> str:
        class Reply(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                status, body = handler(self)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Reply)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()


def _settings(tmp_path: Path, **fields: object) -> Settings:
    return Settings().model_copy(update={"data_dir": tmp_path, "kafka_bootstrap": None, "server_url": None,
                                         **fields})


def _answer() -> dict[str, Any]:
    answer = c.Answer(query_id=uuid.uuid4(), question="생수병", answer="무색페트병으로 냅니다.", item=None,
                      analysis=c.VisionAnalysis(saw_image=False))
    return answer.model_dump(mode="json")


class TestLockFile:
    def test_round_trip_and_only_the_owner_removes_it(self, tmp_path: Path) -> None:
        path = remote.write_lock(tmp_path, "http://127.0.0.1:8123")
        assert remote.read_lock(tmp_path) == "http://127.0.0.1:8123"
        path.write_text(json.dumps({"url": "http://127.0.0.1:9999", "pid": os.getppid()}))  # another serve's
        remote.remove_lock(path)
        assert path.exists()
        remote.write_lock(tmp_path, "http://127.0.0.1:8123")
        remote.remove_lock(path)
        assert not path.exists() and remote.read_lock(tmp_path) is None

    def test_a_dead_servers_file_is_ignored(self, tmp_path: Path) -> None:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
        dead.wait()
        (tmp_path / remote.LOCK_NAME).write_text(json.dumps({"url": "http://127.0.0.1:1", "pid": dead.pid}))
        assert remote.read_lock(tmp_path) is None

    @pytest.mark.parametrize("content", ["", "{", '{"url": "http://x"}', '["http://x", 1]'])
    def test_a_damaged_file_is_ignored(self, tmp_path: Path, content: str) -> None:
        (tmp_path / remote.LOCK_NAME).write_text(content)
        assert remote.read_lock(tmp_path) is None


class TestFindServer:
    async def test_a_ready_local_server_is_found(self, tmp_path: Path, server: Callable[[Handler], str]) -> None:
        url = server(lambda req: (200, {"ready": True}))
        remote.write_lock(tmp_path, url)
        assert await remote.find_server(_settings(tmp_path)) == url

    async def test_no_file_means_the_in_process_pipeline(self, tmp_path: Path) -> None:
        assert await remote.find_server(_settings(tmp_path)) is None

    async def test_a_file_whose_server_is_gone_is_ignored(self, tmp_path: Path,
                                                          server: Callable[[Handler], str]) -> None:
        url = server(lambda req: (200, {}))
        remote.write_lock(tmp_path, url.rsplit(":", 1)[0] + ":1")  # our pid, but nothing listens there
        assert await remote.find_server(_settings(tmp_path)) is None

    async def test_a_server_that_stays_unready_is_not_used(self, tmp_path: Path,
                                                           server: Callable[[Handler], str]) -> None:
        remote.write_lock(tmp_path, server(lambda req: (503, {"ready": False})))
        assert await remote.find_server(_settings(tmp_path), wait_ready_s=0.2) is None

    async def test_kafka_bootstrap_means_the_deployed_pipeline(self, tmp_path: Path,
                                                               server: Callable[[Handler], str]) -> None:
        remote.write_lock(tmp_path, server(lambda req: (200, {})))
        assert await remote.find_server(_settings(tmp_path, kafka_bootstrap="127.0.0.1:9092")) is None

    async def test_a_configured_url_wins(self, tmp_path: Path) -> None:
        settings = _settings(tmp_path, server_url="http://10.0.0.5:8000/", kafka_bootstrap="kafka:9092")
        assert await remote.find_server(settings) == "http://10.0.0.5:8000"


class TestRemoteAsker:
    async def test_an_answer_comes_back_as_the_contract(self, server: Callable[[Handler], str]) -> None:
        seen: dict[str, Any] = {}

        def handler(req: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
            seen["path"] = req.path
            seen["body"] = json.loads(req.rfile.read(int(req.headers["content-length"])))
            return 200, _answer()

        async with remote.RemoteAsker(server(handler), timeout_s=5) as asker:
            reply = await asker.ask("생수병 어떻게 버려요?", None)
        assert isinstance(reply, c.Answer) and reply.answer == "무색페트병으로 냅니다."
        assert seen == {"path": "/v1/queries?wait=5", "body": {"question": "생수병 어떻게 버려요?"}}
        async with remote.RemoteAsker(server(handler), timeout_s=5) as asker:
            await asker.ask("생수병", None, region="11680")
        assert seen["body"] == {"question": "생수병", "region": "11680"}

    async def test_a_photo_goes_as_multipart(self, tmp_path: Path, server: Callable[[Handler], str]) -> None:
        seen: dict[str, bytes | str] = {}

        def handler(req: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
            seen["type"] = req.headers["content-type"]
            seen["body"] = req.rfile.read(int(req.headers["content-length"]))
            return 200, _answer()

        photo = tmp_path / "병.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg")
        async with remote.RemoteAsker(server(handler), timeout_s=5) as asker:
            await asker.ask("이 병은?", photo, region="강남구")
        assert str(seen["type"]).startswith("multipart/form-data; boundary=")
        body = bytes(seen["body"])  # type: ignore[arg-type]
        assert b'name="question"\r\n\r\n' + "이 병은?".encode() in body
        assert b'name="region"\r\n\r\n' + "강남구".encode() in body
        assert 'filename="병.jpg"'.encode() in body and b"Content-Type: image/jpeg" in body
        assert b"\xff\xd8\xff\xe0 fake jpeg" in body

    async def test_a_pipeline_failure_is_a_failure_reply(self, server: Callable[[Handler], str]) -> None:
        qid = str(uuid.uuid4())
        body = {"error": {"code": "timeout", "message": "deadline", "query_id": qid, "stage": "gpt5"}}
        async with remote.RemoteAsker(server(lambda req: (504, body)), timeout_s=5) as asker:
            reply = await asker.ask("생수병", None)
        assert isinstance(reply, c.Failure) and reply.reason == "timeout" and str(reply.query_id) == qid

    async def test_bad_input_and_a_dead_server_raise(self, server: Callable[[Handler], str]) -> None:
        bad = {"error": {"code": "invalid_input", "message": "question is required"}}
        async with remote.RemoteAsker(server(lambda req: (422, bad)), timeout_s=5) as asker:
            with pytest.raises(InvalidInput, match="question is required"):
                await asker.ask("", None)
        async with remote.RemoteAsker("http://127.0.0.1:1", timeout_s=1) as asker:
            with pytest.raises(BrokerUnavailable):
                await asker.ask("생수병", None)
