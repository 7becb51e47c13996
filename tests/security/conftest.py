"""The abuse suite's gateway: a fake bus that records what was submitted, a store on tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from streams.settings import Settings
from streams.store import LocalStore
from tests.integration.conftest import kafka_bootstrap  # noqa: F401  (the burst test's real broker)
from tests.unit.gateway.test_routes import FakeBus


class Harness:
    """A client plus what it must not have caused: submitted queries, stored objects."""

    def __init__(self, client: TestClient, bus: FakeBus, data_dir: Path) -> None:
        self.client, self.bus, self.data_dir = client, bus, data_dir

    def stored(self) -> list[Path]:
        return [p for p in self.data_dir.rglob("*") if p.is_file()]

    def assert_refused(self, resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
        """The request was refused with one JSON error and left nothing behind."""
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        body = resp.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
        if code is not None:
            assert body["error"]["code"] == code
        assert " at 0x" not in resp.text and "Traceback" not in resp.text
        assert self.bus.submitted == [] and self.stored() == []
        return body


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    clients: list[TestClient] = []

    def factory(**settings: Any) -> Harness:
        bus = FakeBus()
        data = tmp_path / f"data{len(clients)}"
        data.mkdir()
        client = TestClient(create_app(Settings(data_dir=data, **settings), bus=bus, store=LocalStore(data)),
                            raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Harness(client, bus, data)

    yield factory
    for client in clients:
        client.__exit__(None, None, None)
