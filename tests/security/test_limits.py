"""Per-key limits and load shedding through the app: 429/503 at once, with Retry-After, nothing submitted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.auth.keys import create_key
from gateway.limits.ledger import CostLedger

Q = "/v1/queries"


@pytest.fixture
def keys(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "keys.json"
    texts = [create_key(path, f"k{n}")[1] for n in range(2)]
    return path, [{"X-API-Key": t} for t in texts]


def _keyed(harness, keys, **limits):  # type: ignore[no-untyped-def]
    path, headers = keys
    base = {"rpm_per_key": 0, "inflight_per_key": 0, "inflight_total": 0, "daily_usd_per_key": 0,
            "daily_usd_total": 0}
    return harness(auth={"enabled": True, "keys_file": path}, limits={**base, **limits}), headers


def test_requests_per_minute_per_key(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, b) = _keyed(harness, keys, rpm_per_key=3)
    assert [h.client.post(Q, json={"question": "유리병"}, headers=a).status_code for _ in range(3)] == [200] * 3
    resp = h.client.post(Q, json={"question": "유리병"}, headers=a)
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(resp.headers["retry-after"]) <= 60 and len(h.bus.submitted) == 3
    assert h.client.post(Q, json={"question": "유리병"}, headers=b).status_code == 200  # another key is unaffected


def test_a_refused_body_still_counts_but_submits_nothing(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, _) = _keyed(harness, keys, rpm_per_key=1)
    assert h.client.post(Q, json={"question": "\u200b"}, headers=a).status_code == 422
    h.assert_refused(h.client.post(Q, json={"question": "유리병"}, headers=a), 429, "rate_limited")


def test_inflight_per_key(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, b) = _keyed(harness, keys, inflight_per_key=2)
    h.bus.silent = True  # nothing is answered: every accepted query stays in flight
    assert [h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a).status_code
            for _ in range(2)] == [202, 202]
    resp = h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a)
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "too_many_inflight"
    assert resp.headers["retry-after"] == "1" and len(h.bus.submitted) == 2
    assert h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=b).status_code == 202


def test_refused_input_does_not_hold_an_inflight_slot(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, _) = _keyed(harness, keys, inflight_per_key=1)
    h.bus.silent = True
    for _ in range(3):
        assert h.client.post(Q, json={"question": ""}, headers=a).status_code == 422
    assert h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a).status_code == 202


def test_global_inflight_cap_sheds_with_503_at_once(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, b) = _keyed(harness, keys, inflight_total=2)
    h.bus.silent = True
    h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a)
    h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=b)
    resp = h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "overloaded" and resp.headers["retry-after"]
    assert len(h.bus.submitted) == 2


def test_global_cap_applies_with_keys_off(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness(limits={"inflight_total": 1})
    h.bus.silent = True
    assert h.client.post(f"{Q}?wait=0", json={"question": "캔"}).status_code == 202
    assert h.client.post(f"{Q}?wait=0", json={"question": "캔"}).status_code == 503


def _answer_costs(h, usd: float) -> None:  # type: ignore[no-untyped-def]
    for qid, reply in list(h.bus.replies.items()):
        h.bus.replies[qid] = reply.model_copy(update={"usage": reply.usage.model_copy(update={"cost_usd": usd})})


def test_daily_cost_ceiling_per_key(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, b) = _keyed(harness, keys, daily_usd_per_key=0.02)
    h.bus.silent = True
    for _ in range(2):
        h.client.post(f"{Q}?wait=0", json={"question": "캔"}, headers=a)
    h.bus.silent = False
    for request in h.bus.submitted:  # the replies arrive, each having cost $0.011
        qid = request.envelope.query_id
        h.bus.replies[qid] = h.bus.replies.get(qid) or _reply(request)
    _answer_costs(h, 0.011)
    resp = h.client.post(Q, json={"question": "캔"}, headers=a)
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "key_budget_exhausted"
    assert int(resp.headers["retry-after"]) <= 86400 and len(h.bus.submitted) == 2
    assert h.client.post(Q, json={"question": "캔"}, headers=b).status_code == 200


def test_daily_cost_ceiling_overall(harness, keys) -> None:  # type: ignore[no-untyped-def]
    h, (a, b) = _keyed(harness, keys, daily_usd_total=0.01)
    assert h.client.post(Q, json={"question": "캔"}, headers=a).status_code == 200
    _answer_costs(h, 0.011)
    resp = h.client.post(Q, json={"question": "캔"}, headers=b)
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "budget_exhausted"


def test_the_ledger_rolls_over_at_utc_midnight() -> None:
    now = [datetime(2026, 12, 1, 23, 59, 30, tzinfo=UTC)]
    ledger = CostLedger(clock=lambda: now[0])
    ledger.add("k", 1.0)
    assert ledger.spent("k") == 1.0 and ledger.retry_after() == 30
    now[0] = datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)
    assert ledger.spent("k") == 0.0 and ledger.total == 0.0


def _reply(request):  # type: ignore[no-untyped-def]
    from streams import contracts as c

    return c.Answer(query_id=request.envelope.query_id, question=request.question, answer="답", item=None,
                    analysis=c.VisionAnalysis(saw_image=False))
