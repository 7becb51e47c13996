"""The gateway's /metrics (route templates, counters that move) and the page at GET /."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.main import create_app
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


def _client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path), bus=FakeBus(), store=LocalStore(tmp_path)))


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_requests_are_counted_by_route_template_and_status(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        before = _samples(client.get("/metrics").text)
        qid = client.post("/v1/queries", json={"question": "우유팩"}).json()["query_id"]
        client.get(f"/v1/queries/{qid}")
        client.get("/nowhere")
        resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    after = _samples(resp.text)

    def moved(route: str, method: str, status: str) -> float:
        key = ("bunri_http_requests_total", frozenset({"route": route, "method": method, "status": status}.items()))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("/v1/queries", "POST", "200") == 1
    assert moved("/v1/queries/{query_id}", "GET", "200") == 1
    assert moved("unmatched", "GET", "404") == 1
    assert not any(qid in str(labels) for _, labels in after), "a query id became a label value"
    hist = ("bunri_http_request_duration_seconds_count", frozenset({"route": "/v1/queries", "method": "POST"}.items()))
    assert after[hist] - before.get(hist, 0) == 1


def test_the_page_is_one_dependency_free_korean_file(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        resp = client.get("/")
    html = resp.text
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert '<html lang="ko">' in html and 'name="viewport"' in html and "물어보기" in html
    assert 'capture="environment"' in html and "EventSource" in html and "feedback" in html
    # no CDN, no build step: nothing is loaded from another origin
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert len(html.encode()) < 40_000
