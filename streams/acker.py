"""Acknowledging a partition's offsets strictly in arrival order while messages finish out of order."""

from __future__ import annotations

from collections import deque
from typing import Any

from faust.types import TP

__all__ = ["InOrderAcker"]


class InOrderAcker:
    """Acks a partition's offsets only in arrival order, once each is done."""

    def __init__(self) -> None:
        self._pending: dict[TP, deque[list[Any]]] = {}

    def track(self, tp: TP, event: Any) -> list[Any]:
        slot = [event, False]
        self._pending.setdefault(tp, deque()).append(slot)
        return slot

    def done(self, tp: TP, slot: list[Any]) -> list[Any]:
        """Mark a slot done; return the events now safe to ack (a contiguous prefix)."""
        slot[1] = True
        queue = self._pending.get(tp, deque())
        ready = []
        while queue and queue[0][1]:
            ready.append(queue.popleft()[0])
        return ready

    def in_flight(self) -> int:
        return sum(len(q) for q in self._pending.values())
