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
    # target 0.8 (not the default 0.5): a budget of 24 s and a queue that must have waited 12 s
    return CapacityGate(AdmissionSettings(**{"target": 0.8, **kw}), deadline_s=30.0, clock=clock)


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
    g = gate(clock, window_s=20)  # budget 0.8 * 30 = 24 s
    g.enter(uuid.uuid4())  # one query waiting all along: the queue is real, not a rise in traffic
    answer_many(g, clock, 160, per_s=8.0)  # 8 answers/s over the 20 s window (binary-exact times)
    clock.now += 0.125  # the first of them 20 s ago
    for _ in range(159):
        g.enter(uuid.uuid4())
    g.check()  # (160 + 1) / 8 = 20.1 s: fine
    for _ in range(48):
        g.enter(uuid.uuid4())
    with pytest.raises(ApiError) as caught:  # (208 + 1) / 8 = 26.1 s > 24 s
        g.check()
    err = caught.value
    assert (err.status, err.code) == (429, "over_capacity")
    assert err.headers["Retry-After"] == "2125"  # ms until 17 more have drained


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


def test_a_pipeline_that_just_started_answering_is_measured_since_then() -> None:
    clock = Clock()
    g = gate(clock)
    answer_many(g, clock, 30, per_s=20.0)  # the first answers, 1.5 s of them after a quiet start
    assert g.rate() == pytest.approx(20.0, rel=0.05)  # not 30 answers / the 10 s window = 3/s
    for _ in range(150):
        g.enter(uuid.uuid4())
    g.check()  # 151 / 20 = 7.6 s: admitted (at 3/s it would have been refused: 50 s)
    clock.now += 30  # quiet again: a new start is measured from its own first answer
    answer_many(g, clock, 10, per_s=5.0)
    assert g.rate() == pytest.approx(5.0, rel=0.15)


def test_a_rise_in_traffic_is_not_refused_while_the_pipeline_keeps_up() -> None:
    clock = Clock()
    g = gate(clock, window_s=20)
    answer_many(g, clock, 20, per_s=2.0)  # light traffic: 2 answers/s
    for _ in range(100):  # then 20 queries/s for 5 s, within a pipeline latency
        g.enter(uuid.uuid4())
        clock.now += 0.05
    assert g.predicted_s() > 0.8 * 30  # N / X (101 / ~1.4 answers/s) says 70 s ...
    g.check()  # ... but nothing has waited 12 s: admitted
    clock.now += 7.5  # nothing answered for 7.5 more seconds: the oldest has waited 12.5 s
    assert g.rate() is not None  # still answers in the window: refused on the queue, not as stalled
    with pytest.raises(ApiError) as caught:
        g.check()
    assert caught.value.headers["Retry-After"] != "1000"


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
    assert g.inflight == 1 and g.rate() is None  # one answer is no rate yet
    clock.now += 2
    assert g.rate() == pytest.approx(0.5)  # one answer in the 2 s since answers started
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
