"""Where start-up time goes: named wall-clock spans, logged as one line with ``-v``.

Spans are measured where the work happens; some run beside the others (the broker process starts
on its own, the Korean analyser loads in a thread), so they can add up to more than ``total``.
``bench/startup.py`` parses the line, so keep its shape: ``startup (s): name=1.234 ... total=1.234``.

Example::

    phases = Phases()
    with phases.span("catalogue"):
        catalog = load_catalog(...)
    logger.info("%s", phases.line())
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

__all__ = ["Phases", "parse_line", "process_age"]

T = TypeVar("T")
_PAIR = re.compile(r"([a-z_]+)=(\d+(?:\.\d+)?)")


class Phases:
    """Named spans in seconds, plus the interpreter's own start-up before this object existed."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.spans: dict[str, float] = {}
        age = process_age()
        if age is not None:
            self.spans["interpreter"] = age  # python start + imports, before the command ran

    @contextlib.contextmanager
    def span(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    def add(self, name: str, seconds: float) -> None:
        self.spans[name] = self.spans.get(name, 0.0) + seconds

    def timed(self, name: str, fn: Callable[[], T]) -> Callable[[], T]:
        """``fn`` recording its own duration (for work handed to a thread)."""
        def run() -> T:
            with self.span(name):
                return fn()
        return run

    def total(self) -> float:
        return self.spans.get("interpreter", 0.0) + time.perf_counter() - self.started

    def line(self) -> str:
        pairs = " ".join(f"{name}={seconds:.3f}" for name, seconds in self.spans.items())
        return f"startup (s): {pairs} total={self.total():.3f}"


def parse_line(text: str) -> dict[str, float] | None:
    """The spans of the last ``startup (s):`` line in ``text`` (a command's stderr), or None."""
    lines = [line for line in text.splitlines() if "startup (s):" in line]
    if not lines:
        return None
    return {name: float(value) for name, value in _PAIR.findall(lines[-1].split("startup (s):", 1)[1])}


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``), or None elsewhere."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
            fields = stat.read().rsplit(")", 1)[1].split()
            uptime = float(up.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat, counted after "(comm)"
    return max(0.0, uptime - started)
