"""Progress over SSE without Kafka: the event log, the stream, and the route."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.events import EventLog
from gateway.events import routes as event_routes
from gateway.events.stream import event_stream
from gateway.main import create_app
from streams import contracts as c
from streams.progress import accepted_event
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


def ev(qid: UUID, kind: c.ProgressKind, **kw: Any) -> c.ProgressEvent:
    return c.ProgressEvent(query_id=qid, event=kind, stage="x", **kw)


def answer(qid: UUID) -> c.Answer:
    return c.Answer(query_id=qid, question="q", answer="답", item=None, analysis=c.VisionAnalysis(saw_image=False))


def parse(body: bytes | str) -> list[tuple[str, str, dict[str, Any]]]:
    """(event, id, data) per SSE block; comments are skipped."""
    text = body.decode() if isinstance(body, bytes) else body
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            out.append((fields["event"], fields["id"], json.loads(fields["data"])))
    return out


class TestEventLog:
    def test_keeps_one_of_each_kind_in_order_and_stops_at_the_end(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        assert log.add(ev(qid, "accepted")) and log.add(ev(qid, "preprocessed"))
        assert not log.add(ev(qid, "preprocessed"))  # a redelivered stage's copy
        assert not log.add(ev(qid, "accepted"))  # out of order: dropped
        assert log.add(ev(qid, "answer")) and log.finished(qid)
        assert not log.add(ev(qid, "failure"))
        assert [e.event for e in log.events(qid)] == ["accepted", "preprocessed", "answer"] and log.dropped == 3

    def test_bounded_and_expiring(self) -> None:
        log = EventLog(max_queries=2)
        ids = [uuid.uuid4() for _ in range(3)]
        for qid in ids:
            log.add(ev(qid, "accepted"))
        assert len(log) == 2 and not log.known(ids[0]) and log.known(ids[2])
        short = EventLog(ttl_s=0.0)
        short.add(ev(ids[0], "accepted"))
        assert not short.known(ids[0]) and short.events(ids[0]) == []

    def test_a_reply_ends_only_a_tracked_query(self) -> None:
        log, tracked, other = EventLog(), uuid.uuid4(), uuid.uuid4()
        log.add(ev(tracked, "accepted"))
        log.add_reply(answer(tracked))
        log.add_reply(answer(other))
        assert log.finished(tracked) and log.events(tracked)[-1].answer is not None
        assert not log.known(other)

    def test_raw_records(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        log.add_raw(ev(qid, "accepted").model_dump_json().encode())
        log.add_raw(b"not an event")
        assert [e.event for e in log.events(qid)] == ["accepted"]

    async def test_waiters_wake_on_the_next_event(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        known = asyncio.create_task(log.wait_known(qid, 2))
        await asyncio.sleep(0)
        log.add(ev(qid, "accepted"))
        assert await known
        nxt = asyncio.create_task(log.wait(qid, 1, 2))
        await asyncio.sleep(0)
        log.add(ev(qid, "preprocessed"))
        assert await nxt
        assert not await log.wait(qid, 2, 0.01)
        assert not await log.wait_known(uuid.uuid4(), 0.01)


async def _collect(stream: Any) -> bytes:
    return b"".join([chunk async for chunk in stream])


class TestStream:
    async def test_streams_in_order_then_closes(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        log.add(ev(qid, "accepted"))

        async def later() -> None:
            for kind in ("preprocessed", "analysed", "rules"):
                await asyncio.sleep(0.01)
                log.add(ev(qid, kind))
            log.add(ev(qid, "answer", answer=answer(qid)))

        feeder = asyncio.create_task(later())
        body = await asyncio.wait_for(_collect(event_stream(log, qid, lambda _: None)), 5)
        await feeder
        got = parse(body)
        assert [(k, i) for k, i, _ in got] == [("accepted", "1"), ("preprocessed", "2"), ("analysed", "3"),
                                               ("rules", "4"), ("answer", "5")]
        assert got[-1][2]["answer"]["answer"] == "답"

    async def test_last_event_id_resumes_after_it(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        for kind in ("accepted", "preprocessed", "analysed"):
            log.add(ev(qid, kind))
        log.add(ev(qid, "failure", failure=c.Failure(query_id=qid, reason="timeout", message="late", stage="rag")))
        body = await _collect(event_stream(log, qid, lambda _: None, after=2))
        assert [k for k, _, _ in parse(body)] == ["analysed", "failure"]
        assert await _collect(event_stream(log, qid, lambda _: None, after=5)) == b""

    async def test_reply_without_events_is_one_terminal_event(self) -> None:
        qid = uuid.uuid4()
        body = await _collect(event_stream(EventLog(), qid, lambda _: answer(qid)))
        [(kind, ident, data)] = parse(body)
        assert (kind, ident, data["stage"]) == ("answer", "5", "reply")

    async def test_reply_ends_a_stream_whose_answer_event_never_comes(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        log.add(ev(qid, "accepted"))
        body = await asyncio.wait_for(_collect(event_stream(log, qid, lambda _: answer(qid), reply_grace_s=0.05)), 5)
        assert [k for k, _, _ in parse(body)] == ["accepted", "answer"]

    async def test_pings_while_idle_and_gives_up_at_max(self) -> None:
        log, qid = EventLog(), uuid.uuid4()
        log.add(ev(qid, "accepted"))
        body = await _collect(event_stream(log, qid, lambda _: None, max_s=0.3, ping_s=0.1))
        assert body.count(b": ping") >= 1 and b"no answer within" in body
        assert [k for k, _, _ in parse(body)] == ["accepted"]


@pytest.fixture
def app_with(tmp_path: Path):  # type: ignore[no-untyped-def]
    def factory(bus: FakeBus, log: EventLog | None = None) -> TestClient:
        return TestClient(create_app(Settings(data_dir=tmp_path), bus=bus, store=LocalStore(tmp_path),
                                     events=EventLog() if log is None else log))

    return factory


def test_post_submits_accepted_ahead_of_the_request(app_with) -> None:  # type: ignore[no-untyped-def]
    bus, log = FakeBus(silent=True), EventLog()
    calls: list[tuple[str, list[str]]] = []
    submit = bus.submit

    async def spy_submit(request: c.QueryRequest, before=()) -> None:  # type: ignore[no-untyped-def]
        calls.append(("submit", [topic for topic, _, _ in before]))
        await submit(request, before)

    bus.submit = spy_submit  # type: ignore[method-assign]
    with app_with(bus, log) as client:
        resp = client.post("/v1/queries?wait=0", json={"question": "우유팩"})
    assert resp.status_code == 202
    qid = UUID(resp.json()["query_id"])
    assert resp.json()["events"] == f"/v1/queries/{qid}/events"
    assert calls == [("submit", ["events"])]  # one produce round trip: the event ahead of the request
    topic, key, value = bus.published[0]
    event = c.ProgressEvent.model_validate_json(value)
    assert key == str(qid).encode() and (event.event, event.query_id, event.has_image) == ("accepted", qid, False)
    assert [e.event for e in log.events(qid)] == ["accepted"]  # this replica's streams see it at once


def test_events_route_streams_to_the_end(app_with) -> None:  # type: ignore[no-untyped-def]
    bus, log = FakeBus(silent=True), EventLog()
    with app_with(bus, log) as client:
        qid = UUID(client.post("/v1/queries?wait=0", json={"question": "우유팩"}).json()["query_id"])
        for kind in ("preprocessed", "analysed", "rules"):
            log.add(ev(qid, kind))
        log.add(ev(qid, "answer", answer=answer(qid)))
        resp = client.get(f"/v1/queries/{qid}/events")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    assert [k for k, _, _ in parse(resp.text)] == ["accepted", "preprocessed", "analysed", "rules", "answer"]


def test_events_route_resumes_from_last_event_id(app_with) -> None:  # type: ignore[no-untyped-def]
    bus, log, qid = FakeBus(silent=True), EventLog(), uuid.uuid4()
    log.add(accepted_event(qid, has_image=True))
    log.add(ev(qid, "answer", answer=answer(qid)))
    with app_with(bus, log) as client:
        resp = client.get(f"/v1/queries/{qid}/events", headers={"Last-Event-ID": "1"})
    assert [k for k, _, _ in parse(resp.text)] == ["answer"]


def test_unknown_query_is_404_after_a_short_wait(app_with, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(event_routes, "FIRST_EVENT_GRACE_S", 0.05)
    with app_with(FakeBus()) as client:
        resp = client.get(f"/v1/queries/{uuid.uuid4()}/events")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_get_knows_a_query_another_replica_accepted(app_with) -> None:  # type: ignore[no-untyped-def]
    log, qid = EventLog(), uuid.uuid4()
    log.add(accepted_event(qid, has_image=False))  # arrived from q.events, accepted elsewhere
    with app_with(FakeBus(), log) as client:
        assert client.get(f"/v1/queries/{qid}").status_code == 202
