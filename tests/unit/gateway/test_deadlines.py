"""The gateway ends a query with no reply at deadline + grace: 504 from any replica, never pending forever."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from gateway.deadlines import DeadlineKeeper
from gateway.events import EventLog
from gateway.main import create_app
from streams import contracts as c
from streams.progress import accepted_event
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


def test_keeper_ends_a_query_once_past_deadline_plus_grace() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    keeper = DeadlineKeeper(timeout_s=30, grace_s=5, clock=lambda: now[0])
    qid = uuid.uuid4()
    keeper.note(qid, now[0] + timedelta(seconds=30))
    now[0] += timedelta(seconds=34.9)
    assert keeper.overdue(qid) is None and keeper.remaining(qid) is not None
    now[0] += timedelta(seconds=0.2)
    failure = keeper.overdue(qid)
    assert failure is not None and failure.reason == "timeout" and failure.stage == "gateway"
    late = c.Answer(query_id=qid, question="q", answer="late", item=None, analysis=c.VisionAnalysis(saw_image=False))
    assert keeper.resolve(qid, late) is failure  # a client never gets a second, different answer here


def test_keeper_reads_the_deadline_of_another_replicas_query_from_its_accepted_event() -> None:
    log, qid = EventLog(), uuid.uuid4()
    accepted = datetime(2026, 1, 1, tzinfo=UTC)
    log.add(accepted_event(qid, has_image=False, now=accepted))
    keeper = DeadlineKeeper(timeout_s=30, grace_s=5, clock=lambda: accepted + timedelta(seconds=36))
    assert keeper.deadline(qid, log) == accepted + timedelta(seconds=30)
    assert keeper.overdue(qid, log) is not None
    assert keeper.overdue(uuid.uuid4(), log) is None  # unknown query: no deadline, no failure


def test_get_from_another_replica_answers_504_after_the_deadline(tmp_path: Path) -> None:
    log, qid = EventLog(), uuid.uuid4()
    log.add(accepted_event(qid, has_image=False, now=datetime.now(UTC)))  # accepted elsewhere, never answered
    settings = Settings(data_dir=tmp_path, query_timeout_s=0.3, query_grace_s=0.2)
    with TestClient(create_app(settings, bus=FakeBus(silent=True), store=LocalStore(tmp_path), events=log)) as client:
        assert client.get(f"/v1/queries/{qid}").status_code == 202
        time.sleep(0.6)
        resp = client.get(f"/v1/queries/{qid}")
        assert resp.status_code == 504 and resp.json()["error"]["code"] == "timeout"
        events = client.get(f"/v1/queries/{qid}/events").text
        assert "event: failure" in events


class LostBus(FakeBus):
    """Accepts, never replies, and waits the whole time it is given (as KafkaRequestBus does)."""

    async def wait(self, query_id: uuid.UUID, timeout: float) -> c.Answer | c.Failure | None:
        await asyncio.sleep(timeout)
        return None


def test_post_waiting_longer_than_the_deadline_gets_504_not_202(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, query_timeout_s=0.3, query_grace_s=0.2)
    with TestClient(create_app(settings, bus=LostBus(silent=True), store=LocalStore(tmp_path))) as client:
        started = time.monotonic()
        resp = client.post("/v1/queries?wait=10", json={"question": "생수병"})
        assert resp.status_code == 504 and time.monotonic() - started < 3
        assert client.get(f"/v1/queries/{resp.json()['error']['query_id']}").status_code == 504
