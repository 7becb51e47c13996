"""Through a real uvicorn server: limits enforced below the app still answer in JSON."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.inputs import SERVER_OPTIONS
from gateway.main import create_app
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FakeBus]]:
    bus = FakeBus()
    app = create_app(Settings(data_dir=tmp_path), bus=bus, store=LocalStore(tmp_path))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", bus
    server.should_exit = True
    thread.join(5)


def test_a_200kb_header_gets_a_json_431(served) -> None:  # type: ignore[no-untyped-def]
    url, bus = served
    resp = httpx.post(f"{url}/v1/queries", json={"question": "생수병"}, headers={"x-junk": "a" * 200_000})
    assert resp.status_code == 431 and resp.json()["error"]["code"] == "headers_too_large"
    assert bus.submitted == []


def test_raw_utf8_form_through_the_server(served) -> None:  # type: ignore[no-untyped-def]
    url, bus = served  # byte for byte what `curl -d question=생수병` sends
    resp = httpx.post(f"{url}/v1/queries", content="question=생수병".encode(),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200 and bus.submitted[0].question == "생수병"
