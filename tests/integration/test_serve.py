"""`bunri serve`: one command brings up broker, stages and gateway, `bunri ask` finds it; Ctrl-C takes all down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from streams.broker import free_port

pytestmark = pytest.mark.integration


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)  # noqa: S603,S607
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_answers_over_http_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}  # the embedded broker
    env["BUNRI_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "streams.cli.main", "serve", "--port", str(port)],  # noqa: S603
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "bunri serve exited early"
            assert time.monotonic() < deadline, "bunri serve was not ready within 90 s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        resp = httpx.post(f"http://127.0.0.1:{port}/v1/queries", json={"question": "우유팩 어떻게 버려요?"}, timeout=30)
        assert resp.status_code == 200 and resp.json()["item"]["official_category"] == "종이팩"
        # `bunri ask` on the same data dir finds this server through the file it wrote, and asks it.
        lock = json.loads((tmp_path / "serve.json").read_text())
        assert lock == {"url": f"http://127.0.0.1:{port}", "pid": proc.pid}
        asked = subprocess.run([sys.executable, "-m", "streams.cli.main", "-v", "ask", "생수병 어떻게 버려요?"],  # noqa: S603
                               env=env, capture_output=True, text=True, timeout=60)
        assert asked.returncode == 0, asked.stderr[-2000:]
        assert f"asking the bunri server at http://127.0.0.1:{port}" in asked.stderr
        assert "무색페트병" in asked.stdout
        children = _children(proc.pid)
        assert children, "the embedded broker should be a child process"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert not (tmp_path / "serve.json").exists(), "serve left its lock file behind"
        # The broker is stopped by serve itself; the image pool's fork server and resource tracker
        # exit when their pipe to the parent closes, a moment later.
        gone_by = time.monotonic() + 10
        while [pid for pid in children if _alive(pid)] and time.monotonic() < gone_by:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)], "a child outlived bunri serve"
    finally:
        if proc.poll() is None:
            proc.kill()
