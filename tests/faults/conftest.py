"""Fault suite fixtures: a broker of the test's own (it is frozen, killed and restarted), real processes.

Every process a test starts is killed at the end, by pid, with all its descendants.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from streams.settings import Settings
from tests.faults.procs import descendants, kill_all

BUNRI = [sys.executable, "-m", "streams.cli.main"]


class Procs:
    """The processes one test started; all of them and their descendants die at teardown."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                stdin=subprocess.DEVNULL)
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def cleanup(self) -> None:
        pids = {p.pid for p in self.started}
        for p in self.started:
            pids |= descendants(p.pid)
        kill_all(pids)
        for p in self.started:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    running = Procs(tmp_path)
    try:
        yield running
    finally:
        running.cleanup()


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    """A broker only this test uses, on a fixed port so it can come back empty on the same address."""
    own = EmbeddedBroker().start()
    try:
        yield own
    finally:
        if own._proc is not None:  # noqa: SLF001  (a frozen broker must be thawed to stop)
            kill_all({own._proc.pid})  # noqa: SLF001
        own.stop()


def create_topics(bootstrap: str) -> None:
    asyncio.run(ensure_topics(bootstrap, Settings().kafka))


def env_for(bootstrap: str, tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "KAFKA_BOOTSTRAP": bootstrap, "BUNRI_DATA_DIR": str(tmp), "BUNRI_LOG_LEVEL": "INFO",
            "BUNRI_RULES_CACHE_DIR": str(tmp / "rules-cache"), **extra}


def status(url: str, timeout: float = 4.0) -> int:
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return 0


def wait_status(urls: list[str], want: int, timeout: float) -> float:
    """Seconds until every url answers ``want``; AssertionError after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(status(u) == want for u in urls):
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not all of {urls} answered {want} within {timeout}s: "
                         f"{[status(u) for u in urls]}")


TIMEOUT_S, GRACE_S = 12.0, 3.0
QUESTIONS = ["생수병", "우유팩", "소주병", "맥주캔", "신문지", "택배 상자", "건전지", "형광등"]


@pytest.fixture
def pipeline(broker: EmbeddedBroker, procs: Procs, tmp_path: Path,
             request: pytest.FixtureRequest) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Two gateways and one worker of every stage; the answer model takes 1-2 s, so queries are in flight.

    Parametrize it indirectly with FakeLLMConfig fields to inject model faults.
    """
    create_topics(broker.bootstrap)
    llm_config = {"vision_latency": (0.0, 0.0), "answer_latency": (1.0, 2.0), "seed": 3,
                  **getattr(request, "param", {})}
    with FakeLLMServer(FakeLLMConfig(**llm_config)) as llm:
        env = env_for(broker.bootstrap, tmp_path, OPENAI_API_KEY="test-key", OPENAI_BASE_URL=llm.base_url,
                      BUNRI_QUERY_TIMEOUT_S=str(TIMEOUT_S), BUNRI_QUERY_GRACE_S=str(GRACE_S))
        yield two_gateways_and_a_worker(procs, env), env


def accept(gateway: str, n: int) -> list[tuple[str, float]]:
    accepted = []
    for i in range(n):
        resp = httpx.post(f"{gateway}/v1/queries?wait=0", json={"question": QUESTIONS[i % len(QUESTIONS)]}, timeout=5)
        assert resp.status_code == 202, resp.text
        accepted.append((resp.json()["query_id"], time.monotonic()))
    return accepted


def settle(gateways: list[str], accepted: list[tuple[str, float]]) -> dict[str, int]:
    """Poll every query on every replica until it ends; count answered / failed / pending past the deadline.

    ``gateways[0]`` accepted the queries. Another replica learns of a query from its ``accepted`` event;
    one the broker lost before that replica read it is unknown there (404, counted), never a different answer.
    """
    counts = {"accepted": len(accepted), "answered": 0, "failed": 0, "pending_past_deadline": 0,
              "unknown_on_other_replica": 0}
    for qid, at in accepted:
        limit = at + TIMEOUT_S + GRACE_S + 2.0  # the gateway's promise, plus polling slack
        statuses = []
        for gateway in gateways:
            while (code := httpx.get(f"{gateway}/v1/queries/{qid}", timeout=5).status_code) == 202 \
                    and time.monotonic() < limit:
                time.sleep(0.25)
            statuses.append(code)
        final = statuses[0]
        if 202 in statuses:
            counts["pending_past_deadline"] += 1
        elif final == 200:
            counts["answered"] += 1
        else:
            assert final in (503, 504), f"{qid}: {statuses}"  # failed with a reason
            counts["failed"] += 1
        others = set(statuses[1:]) - {final}
        assert others <= {404}, f"{qid}: the replicas disagree: {statuses}"
        counts["unknown_on_other_replica"] += 404 in others
    return counts


__all__ = ["BUNRI", "GRACE_S", "TIMEOUT_S", "Procs", "accept", "create_topics", "env_for", "free_port", "settle",
           "status", "wait_status"]


def two_gateways_and_a_worker(procs: Procs, env: dict[str, str]) -> list[str]:
    """Start two gateway replicas and one all-stage worker on ``env``; return the gateways' URLs once all
    three are ready (with the worker's and first gateway's logs when they are not)."""
    gateways = []
    for n in range(2):
        port = free_port()
        procs.spawn([*BUNRI, "gateway", "--port", str(port)], env, f"gateway-{n}")
        gateways.append(f"http://127.0.0.1:{port}")
    worker_port = free_port()
    procs.spawn([*BUNRI, "worker", "--stage", "all", "--web-port", str(worker_port)], env, "worker")
    try:
        wait_status([f"{g}/readyz" for g in gateways] + [f"http://127.0.0.1:{worker_port}/readyz"], 200, 90)
    except AssertionError:
        raise AssertionError(procs.log("worker") + procs.log("gateway-0")) from None
    return gateways
