"""Worker kill -9 and SIGTERM mid-flight; a model whose replies are cut off (inside UTF-8 too) or malformed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.faults.conftest import BUNRI, Procs, accept, free_port, settle, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_worker_stopped_mid_flight(sig: int, pipeline: tuple[list[str], dict[str, str]], procs: Procs,
                                   tmp_path: Path) -> None:
    gateways, env = pipeline
    accepted = accept(gateways[0], 8)
    worker = procs.started[2]  # after the two gateways
    os.kill(worker.pid, sig)
    worker.wait(30)
    port = free_port()  # its replacement, as a deployment would start one
    procs.spawn([*BUNRI, "worker", "--stage", "all", "--web-port", str(port)], env, "worker-replacement")
    wait_status([f"http://127.0.0.1:{port}/readyz"], 200, 60)
    counts = settle(gateways, accepted)
    print(f"worker {signal.Signals(sig).name}: {counts}")  # noqa: T201  (the closing note)
    assert counts["pending_past_deadline"] == 0 and counts["answered"] + counts["failed"] == len(accepted)


@pytest.mark.parametrize("pipeline", [{"fault_rate": 0.6, "faults": ("truncated_utf8", "malformed")}],
                         indirect=True)
def test_malformed_model_replies_are_model_errors(pipeline: tuple[list[str], dict[str, str]]) -> None:
    gateways, _ = pipeline
    accepted = accept(gateways[0], 8)
    counts = settle(gateways, accepted)
    print(f"model truncated-UTF-8 / malformed at 60 %: {counts}")  # noqa: T201
    # asked again or degraded: every query is answered, none is an internal error or a dead letter
    assert counts["answered"] == len(accepted), counts
