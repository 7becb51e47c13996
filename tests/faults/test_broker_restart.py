"""The broker is killed with queries in flight and comes back empty on the same port; or it is frozen.

Nothing is restarted by hand. Every accepted query ends (answer, or a failure with a reason) by its
deadline + grace on either gateway replica; new queries are answered again; the topics are back with
their configured partitions (``bunri topics check``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from streams.broker import EmbeddedBroker
from tests.faults.conftest import BUNRI, accept, settle, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def _first_answer_after(gateway: str, started: float, timeout: float) -> float:
    while time.monotonic() - started < timeout:
        try:
            if httpx.post(f"{gateway}/v1/queries?wait=5", json={"question": "유리병"}, timeout=8).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"no answer within {timeout}s of the broker's restart")


def test_broker_kill_and_empty_restart(broker: EmbeddedBroker, pipeline: tuple[list[str], dict[str, str]]) -> None:
    gateways, env = pipeline
    accepted = accept(gateways[0], 8)
    os.kill(broker._proc.pid, signal.SIGKILL)  # type: ignore[union-attr]  # noqa: SLF001
    broker._proc.wait()  # type: ignore[union-attr]  # noqa: SLF001
    restarted = EmbeddedBroker(port=broker.port).start()  # empty: Tansu keeps everything in memory
    broker._proc, restarted._proc = restarted._proc, None  # noqa: SLF001  (the fixture stops it)
    started = time.monotonic()
    recovery = _first_answer_after(gateways[1], started, 60)
    counts = settle(gateways, accepted)
    print(f"broker empty restart: {counts}, recovered in {recovery:.1f}s")  # noqa: T201  (the closing note)
    assert counts["pending_past_deadline"] == 0 and counts["answered"] + counts["failed"] == len(accepted)
    check = subprocess.run([*BUNRI, "topics", "check"], env=env, capture_output=True, text=True,  # noqa: S603
                           timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr  # recreated with the configured partitions


def test_broker_pause(broker: EmbeddedBroker, pipeline: tuple[list[str], dict[str, str]]) -> None:
    gateways, _ = pipeline
    accepted = accept(gateways[0], 8)
    pid = broker._proc.pid  # type: ignore[union-attr]  # noqa: SLF001
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_status([f"{g}/readyz" for g in gateways], 503, 15)
    finally:
        os.kill(pid, signal.SIGCONT)
    counts = settle(gateways, accepted)
    print(f"broker pause: {counts}")  # noqa: T201
    assert counts["pending_past_deadline"] == 0 and counts["answered"] + counts["failed"] == len(accepted)
    wait_status([f"{g}/readyz" for g in gateways], 200, 30)
