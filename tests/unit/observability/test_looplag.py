"""The event-loop lag monitor: its window maximum, and a stall showing in both metrics."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import REGISTRY

from streams.observability.looplag import LagWindow, start_loop_monitor


def _count() -> float:
    return REGISTRY.get_sample_value("bunri_event_loop_lag_seconds_count") or 0.0


def test_window_keeps_the_largest_value_of_the_last_seconds() -> None:
    window = LagWindow(window_s=10)
    assert window.add(0.002, now=100.0) == 0.002
    assert window.add(0.300, now=101.0) == 0.300
    assert window.add(0.001, now=105.0) == 0.300  # the stall is still inside the window
    assert window.add(0.004, now=111.5) == 0.004  # 10 s later it has left it
    assert window.add(0.003, now=112.0) == 0.004


async def test_a_blocked_loop_shows_as_lag() -> None:
    task = start_loop_monitor(interval_s=0.01)
    assert start_loop_monitor() is task  # one monitor per loop
    before = _count()
    await asyncio.sleep(0)  # the monitor takes its first timestamp and sleeps
    time.sleep(0.15)  # noqa: ASYNC251  (the stall under test: nothing runs on the loop meanwhile)
    while _count() == before:
        await asyncio.sleep(0.005)
    # the timer was due at most 10 ms into the stall, so it ran at least 140 ms late
    assert REGISTRY.get_sample_value("bunri_event_loop_lag_recent_max_seconds") >= 0.14
    assert REGISTRY.get_sample_value("bunri_event_loop_lag_seconds_bucket", {"le": "0.1"}) < _count()
    task.cancel()


def test_the_load_bench_reads_p99_and_max_from_the_histogram() -> None:
    import math

    from bench.promwatch import PromWatch, quantile

    # cumulative counts as /metrics gives them: 98 fast ticks, one at 40 ms, one at 150 ms
    buckets = {0.001: 98.0, 0.025: 98.0, 0.05: 99.0, 0.1: 99.0, 0.25: 100.0, math.inf: 100.0}
    assert quantile(0.5, buckets) < 0.001
    assert 0.025 < quantile(0.99, buckets) <= 0.05
    assert math.isnan(quantile(0.99, {math.inf: 0.0}))
    watch = PromWatch({"gateway": "http://unused"})
    watch.first["gateway"] = {le: 0.0 for le in buckets}
    watch.last["gateway"] = buckets
    watch.lag_max["gateway"] = 0.9  # the gauge still held a stall from before the run: capped at 0.25
    figures = watch.lag()["gateway"]
    assert figures.samples == 100 and figures.max_s == 0.25


async def test_an_idle_loop_is_looked_at_rarely_a_busy_one_often(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import streams.observability.looplag as looplag

    monkeypatch.setattr(looplag, "IDLE_INTERVAL_S", 0.25)
    loop_monitor = asyncio.get_running_loop().create_task(looplag._monitor(0.01, LagWindow()))  # noqa: SLF001
    before = _count()
    await asyncio.sleep(0.6)  # nothing to do: after the first 10 ms, one look every 0.25 s
    idle = _count() - before
    before, end = _count(), time.perf_counter() + 0.6
    while time.perf_counter() < end:  # a working loop: CPU in 2 ms slices between awaits
        spin = time.perf_counter() + 0.002
        while time.perf_counter() < spin:
            pass
        await asyncio.sleep(0)
    busy = _count() - before
    loop_monitor.cancel()
    assert idle <= 4, idle
    assert busy >= 3 * max(idle, 1), (idle, busy)
