"""The capacity gate: Little's law over a replica's own queries; 429 over_capacity with Retry-After in ms."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.capacity import CapacityGate
from gateway.errors import ApiError
from gateway.main import create_app
from streams.settings import AdmissionSettings, Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock, **kw: float) -> CapacityGate:
    return CapacityGate(AdmissionSettings(**kw), deadline_s=30.0, clock=clock)


def answer_many(g: CapacityGate, clock: Clock, count: int, per_s: float) -> None:
    for _ in range(count):
        qid = uuid.uuid4()
        g.enter(qid)
        clock.now += 1 / per_s
        g.leave(qid, answered=True)


def test_no_estimate_no_refusal() -> None:
    clock = Clock()
    g = gate(clock)
    for _ in range(40):
        g.enter(uuid.uuid4())
    g.check()  # nothing answered yet, not stalled (below min_inflight): admitted
    assert g.predicted_s() is None


def test_refuses_when_the_queue_would_outlast_the_deadline() -> None:
    clock = Clock()
    g = gate(clock)  # budget 0.8 * 30 = 24 s
    answer_many(g, clock, 100, per_s=10.0)  # 10 answers/s over the 10 s window
    for _ in range(200):
        g.enter(uuid.uuid4())
    g.check()  # (200 + 1) / 10 = 20.1 s: fine
    for _ in range(60):
        g.enter(uuid.uuid4())
    with pytest.raises(ApiError) as caught:  # (260 + 1) / 10 = 26.1 s > 24 s
        g.check()
    err = caught.value
    assert (err.status, err.code) == (429, "over_capacity")
    assert err.headers["Retry-After"] == "2100"  # ms until 21 more have drained


def test_the_rate_forgets_old_answers_and_the_target_turns_it_off() -> None:
    clock = Clock()
    g = gate(clock)
    answer_many(g, clock, 20, per_s=20.0)
    clock.now += 11  # outside the window
    assert g.rate() is None
    off = gate(clock, target=0.0)
    answer_many(off, clock, 5, per_s=1.0)
    for _ in range(1000):
        off.enter(uuid.uuid4())
    off.check()


def test_a_stalled_pipeline_is_refused() -> None:
    clock = Clock()
    g = gate(clock, min_inflight=5)
    for _ in range(5):
        g.enter(uuid.uuid4())
    clock.now += 11
    with pytest.raises(ApiError):
        g.check()


def test_settle_counts_answers_and_drops_expired() -> None:
    clock = Clock()
    g = gate(clock)
    done, lost = uuid.uuid4(), uuid.uuid4()
    g.enter(done)
    g.enter(lost)
    g.settle(lambda qid: qid == done)
    assert g.inflight == 1 and g.rate() == pytest.approx(0.1)
    clock.now += 41
    g.settle(lambda qid: False)
    assert g.inflight == 0


def test_route_answers_429_with_retry_after_ms(tmp_path: Path) -> None:
    bus = FakeBus(silent=True)  # nothing is ever answered
    settings = Settings(data_dir=tmp_path, admission=AdmissionSettings(min_inflight=2, window_s=0.05))
    with TestClient(create_app(settings, bus=bus, store=LocalStore(tmp_path))) as client:
        for _ in range(2):
            assert client.post("/v1/queries?wait=0", json={"question": "생수병"}).status_code == 202
        time.sleep(0.1)  # a window without answers
        resp = client.post("/v1/queries?wait=0", json={"question": "생수병"})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1000"
    assert resp.json()["error"]["code"] == "over_capacity" and len(bus.submitted) == 2
