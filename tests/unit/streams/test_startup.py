"""Start-up pieces without a broker: readiness waits for warm-up, warm-up only where needed, phases."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from streams.app import readiness
from streams.phases import Phases, parse_line
from streams.settings import Settings
from streams.wiring import Resources


def _app(warming: list[asyncio.Future[Any]]) -> Any:
    return SimpleNamespace(producer=SimpleNamespace(started=True),
                           consumer=SimpleNamespace(started=True, assignment=lambda: {("q.rag", 0)}),
                           warming=warming)


async def test_not_ready_while_the_analyser_loads() -> None:
    loading: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    app = _app([loading])
    assert readiness(app) == {"ready": False, "producer": True, "partitions": 1, "standby": False, "warm": False}
    loading.set_result(None)
    assert readiness(app)["ready"] is True


def _member(generation: int, rejoining: bool, syncing: bool = False) -> Any:
    rejoin: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if rejoining:
        rejoin.set_result(None)
    coordinator = SimpleNamespace(member_id="m-1", generation=generation, _rejoin_needed_fut=rejoin,
                                  _subscription=SimpleNamespace(reassignment_in_progress=syncing))
    return SimpleNamespace(_thread=SimpleNamespace(_consumer=SimpleNamespace(_coordinator=coordinator)))


async def test_a_settled_member_without_partitions_is_a_ready_standby() -> None:
    app = _app([])
    cases = ((3, False, False, True), (0, False, False, True),  # Tansu's first generation is 0
             (3, True, False, False), (-1, False, False, False),
             (3, False, True, False))  # joined, but its SyncGroup has not answered: not settled
    for generation, rejoining, syncing, ready in cases:
        app.consumer = _member(generation, rejoining, syncing)
        app.consumer.started, app.consumer.assignment = True, set
        state = readiness(app)
        assert (state["ready"], state["standby"], state["partitions"]) == (ready, ready, 0), \
            (generation, rejoining, syncing)


class _Catalog:
    def __init__(self) -> None:
        self.resolved: list[str] = []
        self.thread: str | None = None

    def resolve(self, text: str) -> None:
        self.resolved.append(text)
        self.thread = threading.current_thread().name


def _resources(stages: list[str], tmp_path: Path) -> Resources:
    settings = Settings().model_copy(update={"data_dir": tmp_path})
    return Resources(settings=settings, store=None, cache=None, catalog=_Catalog(), stages=tuple(stages))


async def test_only_stages_that_resolve_text_load_the_analyser(tmp_path: Path) -> None:
    # rag reads the gpt5 stage's reading of the question (streams/stages/reading.py), not the text itself
    for stages in (["preprocess"], ["gpt4o"], ["rag"], ["preprocess", "rag", "gpt4o"]):
        assert _resources(stages, tmp_path).warm_up() == []
    for stages in (["gpt5"], ["gpt5", "rag"], ["preprocess", "gpt5", "rag", "gpt4o"]):
        res = _resources(stages, tmp_path)
        phases = Phases()
        (job,) = res.warm_up(phases)
        await job
        assert res.catalog.resolved and res.catalog.thread != threading.current_thread().name
        assert "analyser" in phases.spans
        assert res.warm_up(phases) == [job]  # once per process


def test_the_phase_line_round_trips() -> None:
    phases = Phases()
    with phases.span("catalogue"):
        pass
    phases.add("app_start", 0.25)
    phases.timed("analyser", lambda: None)()
    parsed = parse_line("2026-12-01 INFO streams.cli.ask: " + phases.line())
    assert parsed is not None
    assert set(parsed) >= {"catalogue", "app_start", "analyser", "total"}
    assert parsed["app_start"] == 0.25 and parsed["total"] >= 0.25
    assert parse_line("no such line") is None
