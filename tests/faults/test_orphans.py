"""No process outlives its parent: the embedded broker and the image pool, whatever signal the parent gets.

Checked with the process table (/proc): every descendant of the killed process must be gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker
from tests.faults.conftest import BUNRI, Procs, create_topics, env_for, free_port, wait_status
from tests.faults.procs import descendants, kill_all, wait_gone

pytestmark = [pytest.mark.integration, pytest.mark.faults]

PHOTO = str(Path(__file__).parents[2] / "examples" / "pet_bottle.jpg")


def _children(proc: subprocess.Popen[bytes], at_least: int, timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(found := descendants(proc.pid)) >= at_least:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{proc.args} did not start {at_least} children (exit code {proc.poll()})")


def _kill_and_check(proc: subprocess.Popen[bytes], children: set[int], sig: int) -> None:
    os.kill(proc.pid, sig)
    proc.wait(30)
    left = wait_gone(children, 10)
    names = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in left if Path(f"/proc/{pid}").exists()}
    kill_all(left)  # orphans are no longer our descendants: the fixture's cleanup would not find them
    assert not left, f"{signal.Signals(sig).name}: {len(left)} processes outlived their parent: {names}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_serve_leaves_no_process_behind(sig: int, procs: Procs, tmp_path: Path) -> None:
    env = env_for("", tmp_path)
    del env["KAFKA_BOOTSTRAP"]  # embedded broker
    port = free_port()
    serve = procs.spawn([*BUNRI, "serve", "--port", str(port)], env, "serve")
    wait_status([f"http://127.0.0.1:{port}/readyz"], 200, 90)
    children = _children(serve, 4, 30)  # Tansu, the fork server, its resource tracker, the pool's workers
    _kill_and_check(serve, children, sig)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_ask_leaves_no_broker_behind(sig: int, procs: Procs, tmp_path: Path) -> None:
    env = env_for("", tmp_path)
    del env["KAFKA_BOOTSTRAP"]
    ask = procs.spawn([*BUNRI, "ask", "--embedded", "--image", PHOTO, "이 페트병은 어떻게 버려요?"], env, "ask")
    children = _children(ask, 1, 30)  # the broker is spawned first
    _kill_and_check(ask, children, sig)


def test_killed_preprocess_worker_leaves_no_image_pool(broker: EmbeddedBroker, procs: Procs, tmp_path: Path) -> None:
    create_topics(broker.bootstrap)
    port = free_port()
    worker = procs.spawn([*BUNRI, "worker", "--stage", "preprocess", "--web-port", str(port)],
                         env_for(broker.bootstrap, tmp_path), "worker")
    wait_status([f"http://127.0.0.1:{port}/readyz"], 200, 90)
    children = _children(worker, 3, 30)  # the fork server, the resource tracker, the pool's workers
    _kill_and_check(worker, children, signal.SIGKILL)
