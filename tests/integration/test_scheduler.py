"""`bunri scheduler`: the Faust timer sweeps old raw uploads; dead letters are counted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from streams import contracts as c
from streams.broker import free_port
from streams.topics import topic_name
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration


async def _dead_letter(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    letter = c.DeadLetter(query_id=uuid.uuid4(), stage="gpt5", topic="q.gpt5", reason="model_bad_output",
                          error="LLMOutputInvalid: twice", payload="{}")
    try:
        await producer.send_and_wait(topic, letter.model_dump_json().encode())
    finally:
        await producer.stop()


def test_scheduler_sweeps_and_counts_dead_letters(kafka_bootstrap: str, tmp_path: Path) -> None:
    import asyncio

    settings = make_settings(kafka_bootstrap, tmp_path)
    raw_dir = tmp_path / "store" / "raw"
    raw_dir.mkdir(parents=True)
    old, fresh = raw_dir / "old-upload", raw_dir / "fresh-upload"
    old.write_bytes(b"gps inside")
    fresh.write_bytes(b"just arrived")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    port = free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap, "BUNRI_DATA_DIR": str(tmp_path),
           "BUNRI_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix, "BUNRI_PREPROCESS__SWEEP_INTERVAL_S": "0.5"}
    proc = subprocess.Popen([sys.executable, "-m", "streams.cli.main", "scheduler", "--web-port", str(port)],  # noqa: S603
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stats = _poll(port, lambda s: s.get("last_sweep"))
        assert not old.exists() and fresh.exists()  # past the 1 h retention: gone; the new one stays
        asyncio.run(_dead_letter(kafka_bootstrap, topic_name(settings.kafka, "dead_letter")))
        stats = _poll(port, lambda s: s["dead_letters"].get("model_bad_output"))
        assert stats["dead_letters"] == {"model_bad_output": 1}
    finally:
        proc.terminate()
        assert proc.wait(20) == 0  # a clean stop on SIGTERM


def _poll(port: int, done, timeout: float = 60.0) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stats = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=1).json()
            if done(stats):
                return stats  # type: ignore[no-any-return]
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("scheduler did not get there in time")
