"""`bunri serve` as a service: it prints the page's URL, and with BUNRI_LOG_FORMAT=json every log line,
uvicorn's included, is one JSON object; stage lines carry the message's query id, stage and offset."""

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


def test_serve_prints_the_page_url_and_logs_json_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
    env.update(BUNRI_DATA_DIR=str(tmp_path), BUNRI_LOG_FORMAT="json", BUNRI_LOG_LEVEL="DEBUG")
    err = tmp_path / "stderr.log"
    with err.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "streams.cli.main", "serve", "--port", str(port)],  # noqa: S603
                                env=env, stdout=subprocess.DEVNULL, stderr=sink)
    try:
        deadline = time.monotonic() + 90
        while "try it in a browser" not in err.read_text():
            assert proc.poll() is None, err.read_text()[-3000:]
            assert time.monotonic() < deadline, "bunri serve did not print its URL within 90 s"
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "분리배출" in page.text
        resp = httpx.post(f"http://127.0.0.1:{port}/v1/queries", json={"question": "우유팩 어떻게 버려요?"}, timeout=30)
        assert resp.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    text = err.read_text()
    assert f"bunri: try it in a browser: http://127.0.0.1:{port}/" in text
    lines = [line for line in text.splitlines() if line and not line.startswith("bunri: ")]  # the two prints
    records = [json.loads(line) for line in lines]  # every other line is a JSON object
    assert any(r["logger"].startswith("uvicorn") for r in records), "uvicorn logs through bunri's handler"
    assert any(r["logger"] == "uvicorn.access" and "POST /v1/queries" in r["message"] for r in records)
    processed = [r for r in records if r["logger"] == "streams.observability.stage"]  # one per message
    assert {r["stage"] for r in processed} == {"preprocess", "gpt5", "rag", "gpt4o"}
    for r in processed:
        assert r["topic"].endswith(f"q.{r['stage']}") and isinstance(r["partition"], int)
        assert isinstance(r["offset"], int) and len(r["query_id"]) == 36
