"""POST /v1/queries/{id}/feedback: validated, size-limited, one per query, published to q.feedback."""

from __future__ import annotations

import uuid
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.events import EventLog
from gateway.feedback import FeedbackLedger
from gateway.feedback.routes import MAX_FEEDBACK_BYTES
from gateway.main import create_app
from streams import contracts as c
from streams.progress import accepted_event
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    bus, log = FakeBus(), EventLog()
    app = create_app(Settings(data_dir=tmp_path), bus=bus, store=LocalStore(tmp_path), events=log)
    with TestClient(app) as test_client:
        test_client.bus, test_client.log = bus, log  # type: ignore[attr-defined]
        yield test_client


def _answered(client: TestClient, question: str = "우유팩 어떻게 버려요?") -> UUID:
    return UUID(client.post("/v1/queries", json={"question": question}).json()["query_id"])


def _feedback_published(client: TestClient) -> list[c.Feedback]:
    return [c.Feedback.model_validate_json(v) for t, _, v in client.bus.published if t == "feedback"]  # type: ignore[attr-defined]


def test_feedback_lands_on_q_feedback_with_the_query_it_rates(client: TestClient) -> None:
    qid = _answered(client)
    resp = client.post(f"/v1/queries/{qid}/feedback",
                       json={"helpful": False, "correct_category": "종이팩", "correct_item": "  멸균팩 ",
                             "comment": "멸균팩이에요"})
    assert resp.status_code == 202 and resp.json() == {"query_id": str(qid), "status": "accepted"}
    [fb] = _feedback_published(client)
    assert (fb.query_id, fb.helpful, fb.correct_category, fb.correct_item) == (qid, False, "종이팩", "멸균팩")
    assert fb.question == "우유팩 어떻게 버려요?" and fb.comment == "멸균팩이에요"
    key = client.bus.published[-1][1]  # type: ignore[attr-defined]
    assert key == str(qid).encode()


def test_one_feedback_per_query(client: TestClient) -> None:
    qid = _answered(client)
    assert client.post(f"/v1/queries/{qid}/feedback", json={"helpful": True}).status_code == 202
    again = client.post(f"/v1/queries/{qid}/feedback", json={"helpful": False})
    assert again.status_code == 409 and again.json()["error"]["code"] == "feedback_exists"
    assert len(_feedback_published(client)) == 1


@pytest.mark.parametrize("body", [
    {"helpful": "yes"},  # not a boolean (strict)
    {},  # helpful is required
    {"helpful": True, "correct_category": "재활용"},  # not one of the 18 codes
    {"helpful": True, "correct_item": "가" * (c.MAX_FEEDBACK_ITEM_CHARS + 1)},
    {"helpful": True, "comment": "가" * (c.MAX_FEEDBACK_COMMENT_CHARS + 1)},
    {"helpful": True, "rating": 5},  # unknown field
])
def test_invalid_feedback_is_422_and_not_published(client: TestClient, body: dict[str, object]) -> None:
    qid = _answered(client)
    resp = client.post(f"/v1/queries/{qid}/feedback", json=body)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_input"
    assert _feedback_published(client) == []
    assert client.post(f"/v1/queries/{qid}/feedback", json={"helpful": True}).status_code == 202  # still allowed


def test_size_and_media_type_limits(client: TestClient) -> None:
    qid = _answered(client)
    big = b'{"helpful": true, "comment": "' + b"a" * MAX_FEEDBACK_BYTES + b'"}'
    resp = client.post(f"/v1/queries/{qid}/feedback", content=big, headers={"content-type": "application/json"})
    assert resp.status_code == 413
    form = client.post(f"/v1/queries/{qid}/feedback", data={"helpful": "true"})
    assert form.status_code == 415


def test_unknown_unanswered_and_failed_queries(client: TestClient) -> None:
    assert client.post(f"/v1/queries/{uuid.uuid4()}/feedback", json={"helpful": True}).status_code == 404
    pending = uuid.uuid4()
    client.log.add(accepted_event(pending, has_image=False))  # type: ignore[attr-defined]
    resp = client.post(f"/v1/queries/{pending}/feedback", json={"helpful": True})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_answered"
    client.bus.fail = "timeout"  # type: ignore[attr-defined]
    failed = client.post("/v1/queries", json={"question": "q"})
    qid = failed.json()["error"]["query_id"]
    assert client.post(f"/v1/queries/{qid}/feedback", json={"helpful": False}).status_code == 409


def test_the_ledger_learns_other_replicas_feedback() -> None:
    ledger, qid = FeedbackLedger(), uuid.uuid4()
    ledger.add_raw(c.Feedback(query_id=qid, helpful=True).model_dump_json().encode())
    ledger.add_raw(b"garbage")
    assert not ledger.reserve(qid)
    other = uuid.uuid4()
    assert ledger.reserve(other)
    ledger.release(other)
    assert ledger.reserve(other)
    tiny = FeedbackLedger(max_entries=1)
    tiny.reserve(qid)
    tiny.reserve(other)
    assert tiny.reserve(qid)  # the oldest was forgotten
