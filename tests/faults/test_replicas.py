"""A gateway replica is killed with queries in flight: the client fails over; the replica comes back knowing them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import BUNRI, Procs, accept, settle, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def test_replica_kill_failover_and_rebuild(pipeline: tuple[list[str], dict[str, str]], procs: Procs,
                                          tmp_path: Path) -> None:
    gateways, env = pipeline
    accepted = accept(gateways[0], 8)
    first = procs.started[0]  # gateway-0, which accepted them
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    # the client fails over to the other replica: it knows every accepted query and ends each one
    counts = settle(gateways[1:], accepted)
    print(f"gateway replica kill: {counts}")  # noqa: T201  (the closing note)
    assert counts["pending_past_deadline"] == 0 and counts["answered"] == len(accepted)
    # the killed replica comes back on its port and rebuilds the recent results from the topics
    port = gateways[0].rsplit(":", 1)[1]
    procs.spawn([*BUNRI, "gateway", "--port", port], env, "gateway-0-restarted")
    wait_status([f"{gateways[0]}/readyz"], 200, 60)
    deadline = time.monotonic() + 10
    for qid, _ in accepted:
        while (code := httpx.get(f"{gateways[0]}/v1/queries/{qid}", timeout=5).status_code) != 200 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert code == 200, f"the restarted replica forgot {qid} ({code})"
