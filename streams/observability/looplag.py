"""Event-loop lag: how late the loop runs a timer, as Prometheus metrics (one monitor per loop).

A coroutine that does CPU work without awaiting (a big JSON decode, a resolver call, a sync library)
stalls every other request and message of the process; the symptom is not CPU but timers firing
late. :func:`start_loop_monitor` runs a small task that sleeps ``interval_s`` and records how much
later than asked it woke up:

- ``bunri_event_loop_lag_seconds`` (histogram): every measurement, for p99 over any window;
- ``bunri_event_loop_lag_recent_max_seconds`` (gauge): the largest lag of the last ``window_s``
  seconds, so a scraper polling faster than the window sees every stall's size (a histogram only
  says which bucket it fell in).

A stall of S seconds shows as a lag of at least S - ``interval_s`` (the timer may have been due late in
the stall), so the interval bounds the error: 50 ms while the process works. An idle process is looked
at once a second instead: every wake-up costs ~50-100 µs of CPU (a 25 ms timer measured 0.4 % of a core
per process, which at five processes was half the idle deployment's budget), and a loop with nothing
to do has nothing to stall. "Works" is read off the process's own CPU time since the last wake-up
(``BUSY_CPU_SHARE`` of a core or more), so the first stall of a busy spell is still measured.

Example:
    task = start_loop_monitor()      # idempotent per running loop; the task ends with the loop
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import weakref

from prometheus_client import Gauge, Histogram

__all__ = ["BUSY_CPU_SHARE", "IDLE_INTERVAL_S", "LOOP_LAG", "LOOP_LAG_RECENT_MAX", "LagWindow", "start_loop_monitor"]

logger = logging.getLogger(__name__)

LOOP_LAG = Histogram("bunri_event_loop_lag_seconds",
                     "How late the event loop ran a timer (scheduling delay): every 50 ms while busy, every 1 s idle.",
                     buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
LOOP_LAG_RECENT_MAX = Gauge("bunri_event_loop_lag_recent_max_seconds",
                            "The largest event-loop lag of the last 10 seconds.")

#: A process using this share of a core or more is measured every ``interval_s``; below, once a second.
BUSY_CPU_SHARE = 0.02
IDLE_INTERVAL_S = 1.0

#: Stalls this long are logged (with the monitor's view only: what ran is for py-spy to say).
STALL_LOG_S = 0.25

_monitors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = weakref.WeakKeyDictionary()


class LagWindow:
    """The largest value added over the last ``window_s`` seconds (monotonic deque, O(1) amortised)."""

    def __init__(self, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._items: collections.deque[tuple[float, float]] = collections.deque()

    def add(self, value: float, now: float) -> float:
        """Record ``value`` at ``now``; return the window's maximum."""
        while self._items and self._items[-1][1] <= value:
            self._items.pop()  # dominated: a later, larger value outlives it
        self._items.append((now, value))
        while self._items[0][0] < now - self.window_s:
            self._items.popleft()
        return self._items[0][1]


async def _monitor(interval_s: float, window: LagWindow) -> None:
    wait, cpu = interval_s, time.process_time()
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(wait)
        now, used = time.perf_counter(), time.process_time()
        lag = max(0.0, now - asked - wait)
        wait = interval_s if (used - cpu) >= BUSY_CPU_SHARE * (now - asked) else IDLE_INTERVAL_S
        cpu = used
        LOOP_LAG.observe(lag)
        LOOP_LAG_RECENT_MAX.set(window.add(lag, now))
        if lag >= STALL_LOG_S:
            logger.warning("event loop stalled for %.0f ms (a timer ran that late)", lag * 1000)


def start_loop_monitor(interval_s: float = 0.05, window_s: float = 10.0) -> asyncio.Task[None]:
    """Start measuring the running loop's lag (once per loop: a second call returns the same task)."""
    loop = asyncio.get_running_loop()
    task = _monitors.get(loop)
    if task is None or task.done():
        task = loop.create_task(_monitor(interval_s, LagWindow(window_s)), name="bunri-loop-lag")
        _monitors[loop] = task
    return task
