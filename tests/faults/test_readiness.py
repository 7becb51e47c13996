"""/readyz tells the truth: 503 on the gateway and on a worker while the broker is frozen (SIGSTOP), 200 after."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker
from tests.faults.conftest import BUNRI, Procs, create_topics, env_for, free_port, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def test_readyz_is_503_while_the_broker_is_frozen(broker: EmbeddedBroker, procs: Procs, tmp_path: Path) -> None:
    create_topics(broker.bootstrap)
    env = env_for(broker.bootstrap, tmp_path)
    gw_port, worker_port = free_port(), free_port()
    procs.spawn([*BUNRI, "gateway", "--port", str(gw_port)], env, "gateway")
    procs.spawn([*BUNRI, "worker", "--stage", "preprocess", "--web-port", str(worker_port)], env, "worker")
    urls = [f"http://127.0.0.1:{gw_port}/readyz", f"http://127.0.0.1:{worker_port}/readyz"]
    try:
        wait_status(urls, 200, 90)
    except AssertionError:
        raise AssertionError(procs.log("gateway") + procs.log("worker")) from None
    pid = broker._proc.pid  # type: ignore[union-attr]  # noqa: SLF001
    os.kill(pid, signal.SIGSTOP)
    try:
        took = wait_status(urls, 503, 15)  # a bounded metadata round trip + a few seconds of cache
    finally:
        os.kill(pid, signal.SIGCONT)
    assert took < 15
    wait_status(urls, 200, 30)
