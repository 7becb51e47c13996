"""The gateway answers 503 fast when Kafka is unreachable, at start or mid-life."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from streams.broker import EmbeddedBroker, ensure_topics, free_port
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration


def test_no_broker_at_start_gives_fast_503(tmp_path: Path) -> None:
    settings = make_settings(f"127.0.0.1:{free_port()}", tmp_path)  # nothing listens there
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        started = time.perf_counter()
        resp = client.post("/v1/queries", json={"question": "생수병 어떻게 버려요?"})
        elapsed = time.perf_counter() - started
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "broker_unavailable"
    assert elapsed < 2.0


def test_broker_dies_under_the_gateway_gives_503(tmp_path: Path) -> None:
    broker = EmbeddedBroker().start()
    try:
        settings = make_settings(broker.bootstrap, tmp_path)
        asyncio.run(ensure_topics(broker.bootstrap, settings.kafka))
        with TestClient(create_app(settings)) as client:
            for _ in range(200):
                if client.get("/readyz").status_code == 200:
                    break
                time.sleep(0.05)
            assert client.get("/readyz").status_code == 200
            broker.stop()
            started = time.perf_counter()
            resp = client.post("/v1/queries?wait=1", json={"question": "우유팩"})
            elapsed = time.perf_counter() - started
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "broker_unavailable"
        assert elapsed < 3.0
    finally:
        broker.stop()
