"""SIGTERM on a worker with model calls in flight: it drains, commits and exits; nothing is paid twice.

Every query carries its own mark; the fake model counts the calls whose prompt holds each mark, when
they start (a call abandoned mid-way was paid too). A worker that stopped without draining left its
calls uncommitted, and the replacement made them again: two calls for those marks.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from streams.broker import EmbeddedBroker
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from tests.faults.conftest import (
    BUNRI,
    GRACE_S,
    QUESTIONS,
    Procs,
    create_topics,
    env_for,
    free_port,
    settle,
    wait_status,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

ANSWER_S, DRAIN_GRACE_S, N = 2.0, 10.0, 8


def test_sigterm_drains_in_flight_calls_and_pays_nothing_twice(broker: EmbeddedBroker, procs: Procs,
                                                               tmp_path: Path) -> None:
    create_topics(broker.bootstrap)
    config = FakeLLMConfig(vision_latency=(0.0, 0.0), answer_latency=(ANSWER_S, ANSWER_S), seed=3, trace=r"sq\d+")
    with FakeLLMServer(config) as llm:
        calls: Counter[str] = llm.app.state.fake.traced_calls
        env = env_for(broker.bootstrap, tmp_path, OPENAI_API_KEY="test-key", OPENAI_BASE_URL=llm.base_url,
                      # long enough for a replacement to redo what a worker abandoned (settle waits TIMEOUT_S)
                      BUNRI_QUERY_TIMEOUT_S="40", BUNRI_QUERY_GRACE_S=str(GRACE_S),
                      BUNRI_WORKER__SHUTDOWN_GRACE_S=str(DRAIN_GRACE_S), BUNRI_CACHE__ENABLED="false")
        gateway = f"http://127.0.0.1:{free_port()}"
        procs.spawn([*BUNRI, "gateway", "--port", gateway.rsplit(":", 1)[1]], env, "gateway")
        worker_port = free_port()
        worker = procs.spawn([*BUNRI, "worker", "--stage", "all", "--web-port", str(worker_port)], env, "worker")
        wait_status([f"{gateway}/readyz", f"http://127.0.0.1:{worker_port}/readyz"], 200, 90)

        accepted = []
        for i in range(N):
            resp = httpx.post(f"{gateway}/v1/queries?wait=0", json={"question": f"{QUESTIONS[i]} sq{i}"}, timeout=5)
            assert resp.status_code == 202, resp.text
            accepted.append((resp.json()["query_id"], time.monotonic()))
        # every query has reached its answer call (the fake answers it in ANSWER_S): all are in flight
        limit = time.monotonic() + 10
        while len({k.split()[0] for k in calls}) < N and time.monotonic() < limit:
            time.sleep(0.05)
        assert len({k.split()[0] for k in calls}) == N, (dict(calls), procs.log("worker"))

        os.kill(worker.pid, signal.SIGTERM)
        stopped = time.monotonic()
        worker.wait(DRAIN_GRACE_S + 15)
        stop_s = time.monotonic() - stopped
        replacement = free_port()  # as a deployment would start one
        procs.spawn([*BUNRI, "worker", "--stage", "all", "--web-port", str(replacement)], env, "worker-2")
        wait_status([f"http://127.0.0.1:{replacement}/readyz"], 200, 60)
        counts = settle([gateway], accepted)

        drained = re.search(r"drained: (\d+) finished and committed, (\d+) handed back", procs.log("worker"))
        twice = {k: n for k, n in calls.items() if n > 1}
        print(f"worker SIGTERM drain: stopped in {stop_s:.1f}s, {drained and drained.group(0)}, "  # noqa: T201
              f"model calls {sum(calls.values())} for {N} queries, paid twice {len(twice)}, {counts}")
        assert worker.returncode == 0, procs.log("worker")
        assert drained is not None and int(drained.group(1)) >= N and drained.group(2) == "0", procs.log("worker")
        assert stop_s < DRAIN_GRACE_S + 10  # drained within the grace, then stopped
        assert not twice, f"model calls made again after the restart: {twice}"
        assert counts["answered"] == N and counts["pending_past_deadline"] == 0, counts
