"""What the processes' own ``/metrics`` say during a load run: event-loop lag and backlog.

:class:`PromWatch` scrapes each process's Prometheus text every ``every_s`` seconds while the traffic
runs (bench/load.py), and reports per process:

- loop lag p99 over the run, from the delta of ``bunri_event_loop_lag_seconds`` (interpolated inside
  a bucket, as Prometheus' ``histogram_quantile`` does);
- loop lag max: the largest ``bunri_event_loop_lag_recent_max_seconds`` (the last 10 s) seen, capped at
  the upper bound of the highest bucket the run's delta reached (so a stall from before the run, still
  inside the gauge's window at the first scrape, is not counted);
- backlog: ``bunri_consumer_lag`` summed over every stage partition, and ``bunri_stage_in_flight``
  summed, at each scrape (a backlog that keeps growing means the deployment does not keep up).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["LagFigures", "PromWatch", "quantile"]

LAG = "bunri_event_loop_lag_seconds"
LAG_MAX = "bunri_event_loop_lag_recent_max_seconds"


def _scrape_text(text: str) -> dict[str, object]:
    """The figures PromWatch needs from one exposition."""
    buckets: dict[float, float] = {}
    out: dict[str, object] = {"buckets": buckets, "lag_max": 0.0, "consumer_lag": 0.0, "in_flight": 0.0}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == LAG + "_bucket":
                buckets[float(s.labels["le"])] = s.value
            elif s.name == LAG_MAX:
                out["lag_max"] = s.value
            elif s.name == "bunri_consumer_lag":
                out["consumer_lag"] = float(out["consumer_lag"]) + s.value  # type: ignore[arg-type]
            elif s.name == "bunri_stage_in_flight":
                out["in_flight"] = float(out["in_flight"]) + s.value  # type: ignore[arg-type]
    return out


def quantile(q: float, cumulative: dict[float, float]) -> float:
    """``histogram_quantile`` over cumulative bucket counts (le -> count); NaN without observations."""
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return math.nan
    rank, lower, below = q * total, 0.0, 0.0
    for le in bounds:
        count = cumulative[le]
        if count >= rank:
            if math.isinf(le):
                return lower  # beyond the last finite bucket: its bound is all that is known
            return lower + (le - lower) * ((rank - below) / max(count - below, 1e-12))
        lower, below = le, count
    return lower


@dataclass
class LagFigures:
    p99_s: float
    max_s: float
    samples: int


@dataclass
class PromWatch:
    """Scrape ``urls`` (process name -> its /metrics URL) from :meth:`start` to :meth:`stop`."""

    urls: dict[str, str]
    every_s: float = 2.0
    first: dict[str, dict[float, float]] = field(default_factory=dict)
    last: dict[str, dict[float, float]] = field(default_factory=dict)
    lag_max: dict[str, float] = field(default_factory=dict)
    #: (seconds since start, consumer lag summed, in flight summed) per scrape, all processes together
    backlog: list[tuple[float, float, float]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _began: float = 0.0

    async def _scrape(self, client: httpx.AsyncClient) -> dict[str, dict[str, object]]:
        async def one(url: str) -> dict[str, object] | None:
            with contextlib.suppress(httpx.HTTPError):
                resp = await client.get(url)
                if resp.status_code == 200:
                    return _scrape_text(resp.text)
            return None

        got = await asyncio.gather(*(one(u) for u in self.urls.values()))
        return {name: g for name, g in zip(self.urls, got, strict=True) if g is not None}

    def _note(self, seen: dict[str, dict[str, object]], *, initial: bool = False) -> None:
        for name, figures in seen.items():
            buckets = figures["buckets"]
            assert isinstance(buckets, dict)
            (self.first if initial else self.last)[name] = buckets
            if not initial:
                self.lag_max[name] = max(self.lag_max.get(name, 0.0), float(figures["lag_max"]))  # type: ignore[arg-type]
        self.backlog.append((time.perf_counter() - self._began,
                             sum(float(f["consumer_lag"]) for f in seen.values()),  # type: ignore[arg-type]
                             sum(float(f["in_flight"]) for f in seen.values())))  # type: ignore[arg-type]

    async def _loop(self, client: httpx.AsyncClient) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            self._note(await self._scrape(client))

    async def start(self) -> None:
        self._began = time.perf_counter()
        self._client = httpx.AsyncClient(timeout=5)
        self._note(await self._scrape(self._client), initial=True)
        self._task = asyncio.create_task(self._loop(self._client))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._note(await self._scrape(self._client))
        await self._client.aclose()

    def lag(self) -> dict[str, LagFigures]:
        out = {}
        for name, end in self.last.items():
            start = self.first.get(name, {})
            delta = {le: end[le] - start.get(le, 0.0) for le in end}
            total = delta.get(math.inf, 0.0)
            reached = min((le for le in sorted(delta) if delta[le] >= total), default=math.inf)
            out[name] = LagFigures(quantile(0.99, delta), min(self.lag_max.get(name, 0.0), reached), int(total))
        return out

    def report(self) -> None:
        """Print loop lag per process and the backlog series (every ~10 s)."""
        for name, f in sorted(self.lag().items()):
            print(f"    {name:<22} loop lag p99 {f.p99_s * 1000:6.1f} ms   max {f.max_s * 1000:6.1f} ms "  # noqa: T201
                  f"({f.samples} samples)")
        if self.backlog:
            step = max(1, round(10 / self.every_s))
            rows = self.backlog[::step] + ([self.backlog[-1]] if (len(self.backlog) - 1) % step else [])
            series = ", ".join(f"{t:.0f}s {lag:.0f}/{fl:.0f}" for t, lag, fl in rows)
            print(f"  backlog (consumer lag / in flight, all stages): {series}; "  # noqa: T201
                  f"max lag {max(b[1] for b in self.backlog):.0f}")
