"""Gateway routes against an in-memory bus (no Kafka)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from streams import contracts as c
from streams.settings import Settings
from streams.store import LocalStore


class FakeBus:
    """Answers every query at once (or never, when ``silent``)."""

    def __init__(self, *, silent: bool = False, fail: c.FailureReason | None = None) -> None:
        self.silent, self.fail = silent, fail
        self.submitted: list[c.QueryRequest] = []
        self.replies: dict[UUID, c.Answer | c.Failure] = {}
        self.published: list[tuple[str, bytes, bytes]] = []
        self.ready = True

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        self.published.append((topic, key, value))

    async def submit(self, request: c.QueryRequest, before: list[tuple[str, bytes, bytes]] | tuple[()] = ()) -> None:
        self.published.extend(before)  # the accepted event travels with the request
        self.submitted.append(request)
        qid = request.envelope.query_id
        if self.silent:
            return
        if self.fail:
            self.replies[qid] = c.Failure(query_id=qid, reason=self.fail, message="nope", stage="gpt5")
        else:
            self.replies[qid] = c.Answer(query_id=qid, question=request.question, answer="답",
                                         item=None, analysis=c.VisionAnalysis(saw_image=False))

    async def wait(self, query_id: UUID, timeout: float) -> c.Answer | c.Failure | None:
        if query_id not in self.replies:
            await asyncio.sleep(min(timeout, 0.01))
        return self.replies.get(query_id)

    def result(self, query_id: UUID) -> c.Answer | c.Failure | None:
        return self.replies.get(query_id)

    def known(self, query_id: UUID) -> bool:
        return any(r.envelope.query_id == query_id for r in self.submitted)


@pytest.fixture
def make_client(tmp_path: Path):  # type: ignore[no-untyped-def]
    def factory(bus: FakeBus) -> TestClient:
        settings = Settings(data_dir=tmp_path)
        return TestClient(create_app(settings, bus=bus, store=LocalStore(tmp_path)))

    return factory


def test_json_question_is_answered(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        resp = client.post("/v1/queries", json={"question": "  생수병  "})
    assert resp.status_code == 200 and resp.json()["answer"] == "답"
    assert bus.submitted[0].question == "생수병" and bus.submitted[0].image is None
    assert "total" in resp.json()["timings_ms"]


def test_image_is_claim_checked_not_sent(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"
    with make_client(bus) as client:
        resp = client.post("/v1/queries", data={"question": "이건?"}, files={"image": ("a.png", png, "image/png")})
    assert resp.status_code == 200
    ref = bus.submitted[0].image
    assert ref is not None and ref.key.startswith("raw/") and ref.size == len(png)
    assert (tmp_path / ref.key).read_bytes() == png
    assert "IHDR" not in bus.submitted[0].model_dump_json()


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"question": ""}}, 422, "invalid_input"),
        ({"json": {"question": "x" * 501}}, 422, "invalid_input"),
        ({"json": {"question": "a", "extra": 1}}, 422, "invalid_input"),
        ({"data": {"nothing": "here"}}, 422, "invalid_input"),
        ({"content": b"question=hi", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
        ({"data": {"question": "q"}, "files": {"image": ("a.svg", b"<svg xmlns='x'/>", "image/svg+xml")}},
         415, "unsupported_image"),
        ({"data": {"question": "q"}, "files": {"image": ("a.html", b"<html></html>", "text/html")}},
         415, "unsupported_image"),
        ({"data": {"question": "q"}, "files": {"image": ("z.jpg", b"", "image/jpeg")}}, 422, "invalid_image"),
    ],
)
def test_bad_input_gets_error_json(make_client, kwargs, status, code) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        resp = client.post("/v1/queries", **kwargs)
    assert resp.status_code == status, resp.text
    if code:
        assert resp.json()["error"]["code"] == code
        assert bus.submitted == []  # nothing entered the pipeline


def test_failure_reasons_map_to_statuses(make_client) -> None:  # type: ignore[no-untyped-def]
    for reason, status in [("timeout", 504), ("model_unavailable", 503), ("invalid_image", 422)]:
        with make_client(FakeBus(fail=reason)) as client:
            resp = client.post("/v1/queries", json={"question": "q"})
        assert resp.status_code == status and resp.json()["error"]["code"] == reason


def test_pending_location_and_get(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus(silent=True)
    with make_client(bus) as client:
        resp = client.post("/v1/queries?wait=0", json={"question": "q"})
        assert resp.status_code == 202
        location = resp.headers["location"]
        assert client.get(location).status_code == 202
        qid = bus.submitted[0].envelope.query_id
        bus.replies[qid] = c.Answer(query_id=qid, question="q", answer="늦은 답", item=None,
                                    analysis=c.VisionAnalysis(saw_image=False))
        assert client.get(location).json()["answer"] == "늦은 답"
        assert client.get(f"/v1/queries/{uuid.uuid4()}").status_code == 404
        assert client.post("/v1/queries?wait=61", json={"question": "q"}).status_code == 422


def test_idempotency_key_returns_same_query(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        a = client.post("/v1/queries", json={"question": "q"}, headers={"Idempotency-Key": "k1"})
        b = client.post("/v1/queries", json={"question": "q"}, headers={"Idempotency-Key": "k1"})
    assert a.json()["query_id"] == b.json()["query_id"] and len(bus.submitted) == 1


def test_openapi_describes_the_endpoint(make_client) -> None:  # type: ignore[no-untyped-def]
    with make_client(FakeBus()) as client:
        spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/queries"]["post"]
    assert {"multipart/form-data", "application/json"} <= set(op["requestBody"]["content"])
    assert {"202", "413", "415", "422", "503", "504"} <= set(op["responses"])
