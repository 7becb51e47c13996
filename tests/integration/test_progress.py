"""Service features end to end on a real broker: SSE from either of two gateway replicas, /metrics on the
gateway and a worker, feedback on q.feedback, and `bunri feedback report`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from streams import contracts as c
from streams.broker import free_port
from streams.feedback.read import read_values
from streams.runtime import running_stages
from streams.settings import STAGES, Settings
from streams.topics import topic_name
from tests.integration.conftest import make_settings, serve_gateway

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pet_bottle.jpg"
ORDER = ["accepted", "preprocessed", "analysed", "rules", "answer"]


@dataclass
class Service:
    settings: Settings
    replicas: list[str]  # base URLs of the two gateways
    worker: str  # base URL of the stage worker's web server




@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def service(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    settings = make_settings(kafka_bootstrap, tmp_path_factory.mktemp("data"))
    web_port = free_port()
    async with running_stages(settings, list(STAGES), web_port=web_port):
        gateways = [await serve_gateway(settings), await serve_gateway(settings)]
        try:
            yield Service(settings, [url for _, _, url in gateways], f"http://127.0.0.1:{web_port}")
        finally:
            for server, task, _ in gateways:
                server.should_exit = True
                await task


async def _events(url: str, query_id: str, timeout: float = 30) -> list[tuple[str, str, dict[str, Any]]]:
    """Read the whole SSE stream: (event, id, data) per event."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as client, \
            client.stream("GET", f"/v1/queries/{query_id}/events") as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in resp.aiter_lines():
            if not line:
                if "event" in fields:
                    out.append((fields["event"], fields["id"], json.loads(fields["data"])))
                fields = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value
    return out


async def _ask(url: str, question: str, image: Path | None = None) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        files = {"image": (image.name, image.read_bytes(), "image/jpeg")} if image else None
        resp = await client.post("/v1/queries?wait=0", data={"question": question}, files=files)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["query_id"])


async def test_events_in_order_from_either_replica(service: Service) -> None:
    a, b = service.replicas
    qid = await _ask(a, "이 페트병은 어떻게 버려요? 뚜껑은 닫혀 있어요", EXAMPLE)
    # both replicas stream at once: the one that accepted it, and the other one (events via q.events)
    on_a, on_b = await asyncio.gather(_events(a, qid), _events(b, qid))
    for got in (on_a, on_b):
        assert [kind for kind, _, _ in got] == ORDER
        assert [ident for _, ident, _ in got] == ["1", "2", "3", "4", "5"]
        assert all(data["query_id"] == qid for _, _, data in got)
    assert on_b[0][2]["has_image"] is True and on_b[1][2]["cache_hit"] is False
    assert on_b[2][2]["items"], "analysed carries the item guesses"
    assert on_b[4][2]["answer"]["query_id"] == qid and on_b[4][2]["answer"]["answer"]
    elapsed = [data.get("elapsed_ms", 0) for _, _, data in on_b[:4]]
    assert elapsed == sorted(elapsed)
    # a client that connects late, to either replica, gets every event so far and the end
    late = await _events(b, qid)
    assert [kind for kind, _, _ in late] == ORDER
    # GET on the replica that did not accept it knows the result too
    async with httpx.AsyncClient(base_url=b, timeout=5) as client:
        assert (await client.get(f"/v1/queries/{qid}")).json()["query_id"] == qid


async def test_a_cache_hit_streams_preprocessed_then_answer(service: Service) -> None:
    a, b = service.replicas
    question = "우유팩은 어떻게 버려요?"
    first = await _ask(a, question)
    assert [k for k, _, _ in await _events(a, first)] == ORDER
    again = await _ask(b, question)
    got = await _events(a, again)
    assert [k for k, _, _ in got] == ["accepted", "preprocessed", "answer"]
    assert got[1][2]["cache_hit"] is True and got[2][2]["answer"]["cache_hit"] is True


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def _total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


async def test_metrics_on_gateway_and_worker_move_after_a_query(service: Service) -> None:
    gateway, worker = service.replicas[0], service.worker
    async with httpx.AsyncClient(timeout=10) as client:
        g0 = _samples((await client.get(f"{gateway}/metrics")).text)
        w0 = _samples((await client.get(f"{worker}/metrics")).text)
        qid = await _ask(gateway, "깨진 유리컵은 어떻게 버려요?")
        assert [k for k, _, _ in await _events(gateway, qid)][-1] == "answer"
        g1 = _samples((await client.get(f"{gateway}/metrics")).text)
        resp = await client.get(f"{worker}/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    w1 = _samples(resp.text)
    names = {n for n, _ in w1}
    for family in ("bunri_stage_processing_seconds_bucket", "bunri_stage_in_flight", "bunri_stage_retries_total",
                   "bunri_stage_outputs_total", "bunri_answers_total", "bunri_consumer_lag"):
        assert family in names, family
    assert {ls for n, ls in w1 if n == "bunri_consumer_lag"} >= {
        frozenset({"topic": topic_name(service.settings.kafka, "gpt5"), "partition": "0"}.items())}
    assert _total(g1, "bunri_http_requests_total", route="/v1/queries", status="202") - \
        _total(g0, "bunri_http_requests_total", route="/v1/queries", status="202") == 1
    assert _total(g1, "bunri_http_request_duration_seconds_count", route="/v1/queries/{query_id}/events") > \
        _total(g0, "bunri_http_request_duration_seconds_count", route="/v1/queries/{query_id}/events")
    for stage in STAGES:
        assert _total(w1, "bunri_stage_processing_seconds_count", stage=stage) > \
            _total(w0, "bunri_stage_processing_seconds_count", stage=stage), stage
    assert _total(w1, "bunri_answers_total") > _total(w0, "bunri_answers_total")
    assert _total(w1, "bunri_stage_outputs_total", kind="event") - _total(w0, "bunri_stage_outputs_total",
                                                                         kind="event") == 4


async def test_feedback_lands_on_q_feedback_once_and_the_report_ranks_it(service: Service) -> None:
    a, b = service.replicas
    qid = await _ask(a, "코팅된 종이컵은 어떻게 버려요?")
    assert [k for k, _, _ in await _events(b, qid)][-1] == "answer"
    body = {"helpful": False, "correct_category": "일반종량제폐기물", "correct_item": "코팅 종이컵",
            "comment": "코팅돼 있어요"}
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(f"{b}/v1/queries/{qid}/feedback", json=body)).status_code == 202
        [feedback] = await _feedback_for(service, qid)
        assert feedback.correct_category == "일반종량제폐기물" and feedback.question == "코팅된 종이컵은 어떻게 버려요?"
        await asyncio.sleep(0.5)  # the other replica reads q.feedback too (a fetch wait of 20 ms)
        for replica in (a, b):  # so a second feedback is refused on either
            again = await client.post(f"{replica}/v1/queries/{qid}/feedback", json={"helpful": True})
            assert again.status_code == 409 and again.json()["error"]["code"] == "feedback_exists"
    assert len(await _feedback_for(service, qid)) == 1

    env = {**os.environ, "KAFKA_BOOTSTRAP": service.settings.bootstrap or "",
           "BUNRI_KAFKA__TOPIC_PREFIX": service.settings.kafka.topic_prefix}
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "streams.cli.main", "feedback", "report", "--json", "--since", "1h"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["corrected"] >= 1 and report["replies"] >= 1
    [row] = [r for r in report["corrections"] if r["correct_item"] == "코팅 종이컵"]
    assert row["correct_category"] == "일반종량제폐기물" and row["examples"] == ["코팅된 종이컵은 어떻게 버려요?"]


async def _feedback_for(service: Service, qid: str) -> list[c.Feedback]:
    values = [c.decode(c.Feedback, v) async for v in read_values(
        service.settings.bootstrap or "", topic_name(service.settings.kafka, "feedback"))]
    return [f for f in values if str(f.query_id) == qid]
