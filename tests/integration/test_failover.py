"""kill -9 of a stage worker mid-stream: every accepted query is still answered, exactly once.

Real processes (``bunri worker``), a real broker, and the fake OpenAI-compatible server
giving the gpt4o stage a few hundred milliseconds per call, so the killed worker
certainly has messages in flight (read, not yet acknowledged) when it dies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.bus import KafkaRequestBus
from streams import contracts as c
from streams.broker import EMBEDDED_CLUSTER_ID, cluster_id, free_port
from streams.cli.ask import ask_one
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from streams.settings import Settings
from streams.store import make_store
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration

QUESTIONS = ["생수병", "우유팩", "소주병", "맥주캔", "신문지", "택배 상자", "건전지", "형광등", "닭뼈", "스티로폼 박스",
             "과자 봉지", "요거트 용기", "프라이팬", "헌옷", "폐의약품", "달걀껍데기", "깨진 유리", "칫솔", "영수증",
             "부탄가스"]


class Worker:
    def __init__(self, stage: str, env: dict[str, str], log: Path) -> None:
        self.stage, self.port = stage, free_port()
        self.log = log
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "streams.cli.main", "worker", "--stage", stage, "--concurrency", "5",
             "--web-port", str(self.port)],
            env={**env, "BUNRI_WORKER__WEB_PORT": str(self.port)},
            stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def partitions(self) -> int:
        try:
            return int(httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).json().get("partitions", 0))
        except (httpx.HTTPError, ValueError):
            return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def cluster(kafka_bootstrap: str, tmp_path: Path) -> Iterator[tuple[Settings, dict[str, list[Worker]]]]:
    config = FakeLLMConfig(vision_latency=(0.0, 0.0), answer_latency=(0.3, 0.6), seed=7)
    with FakeLLMServer(config) as llm:
        settings = make_settings(kafka_bootstrap, tmp_path, query_timeout_s=60.0)
        env = {**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap, "BUNRI_DATA_DIR": str(tmp_path),
               "BUNRI_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
               "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": llm.base_url, "BUNRI_QUERY_TIMEOUT_S": "60"}
        workers: dict[str, list[Worker]] = {}
        for stage, count in [("preprocess", 1), ("gpt5", 1), ("rag", 1), ("gpt4o", 2)]:
            workers[stage] = [Worker(stage, env, tmp_path / f"{stage}-{n}.log") for n in range(count)]
        try:
            deadline = time.monotonic() + 90
            every = [w for ws in workers.values() for w in ws]
            while not all(w.partitions() > 0 for w in every):
                dead = [w for w in every if w.proc.poll() is not None]
                assert not dead, f"{dead[0].stage} worker exited: {dead[0].log.read_text()[-3000:]}"
                assert time.monotonic() < deadline, "workers did not all get partitions within 90 s"
                time.sleep(0.2)
            yield settings.model_copy(update={"openai_api_key": None}), workers
        finally:
            for w in every:
                w.stop()


def test_kill_9_of_a_stage_worker_loses_nothing(cluster: tuple[Settings, dict[str, list[Worker]]]) -> None:
    settings, workers = cluster
    victim, survivor = workers["gpt4o"]
    replies, times = asyncio.run(_run(settings, victim, survivor, n=60))
    answered = {r.query_id for r in replies if isinstance(r, c.Answer)}
    failures = [r for r in replies if isinstance(r, c.Failure)]
    assert victim.proc.poll() == -signal.SIGKILL
    assert not failures, failures[:3]
    assert len(replies) == 60 and len(answered) == 60  # every accepted query: one reply, no loss
    assert survivor.partitions() == 6  # the survivor took over all of q.gpt4o's partitions
    assert times["all_answered"] < 30, f"failover took {times['all_answered']:.1f}s"
    # Issue 18: failover is bounded by the session timeout (the survivor's takeover), not by start-up.
    print(f"kill -9 failover: survivor holds the victim's partitions {times['takeover']:.1f}s after the kill, "  # noqa: T201
          f"next answer through them at {times['next_answer']:.1f}s, all 60 answered at "
          f"{times['all_answered']:.1f}s (session timeout {_session_s(settings):.0f}s)")


def _session_s(settings: Settings) -> float:
    """The session timeout the workers used: it depends on the broker (streams/runtime.py)."""
    assert settings.bootstrap
    embedded = asyncio.run(cluster_id(settings.bootstrap)) == EMBEDDED_CLUSTER_ID
    return settings.kafka.session_ms(embedded=embedded) / 1000


async def _run(settings: Settings, victim: Worker, survivor: Worker,
               n: int) -> tuple[list[c.Answer | c.Failure], dict[str, float]]:
    bus = KafkaRequestBus(settings)
    await bus.start()
    store = make_store(settings)
    done_at: list[float] = []
    try:
        tasks = [asyncio.create_task(ask_one(bus, store, settings, QUESTIONS[i % len(QUESTIONS)] + " 버리는 법", None))
                 for i in range(n)]
        for task in tasks:
            task.add_done_callback(lambda _: done_at.append(time.monotonic()))
        while sum(t.done() for t in tasks) < n // 4:  # a quarter answered: the rest is in flight
            await asyncio.sleep(0.02)
        os.kill(victim.proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.proc.wait(5)
        takeover = asyncio.create_task(_takeover(survivor, partitions=6))
        replies = await asyncio.gather(*tasks)
        took_over = await takeover
        after = [t for t in done_at if t >= took_over]
        return list(replies), {"takeover": took_over - killed_at, "all_answered": max(done_at) - killed_at,
                               "next_answer": (min(after) if after else took_over) - killed_at}
    finally:
        await bus.stop()


async def _takeover(worker: Worker, partitions: int, timeout: float = 60.0) -> float:
    """When ``worker`` first holds ``partitions`` partitions (its /readyz, polled)."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(worker.partitions) < partitions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return time.monotonic()
