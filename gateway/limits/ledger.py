"""Model cost per key and in total for the current UTC day, from the replies' ``usage.cost_usd``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["CostLedger", "seconds_to_midnight"]


def seconds_to_midnight(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - now).total_seconds()))


class CostLedger:
    """Dollars spent today (UTC), per key id and in total; the day rolls over at midnight.

    In memory, per replica: a restart forgets the day's spend, which errs on the side of serving.
    """

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._day = clock().date()
        self._per_key: defaultdict[str, float] = defaultdict(float)
        self.total = 0.0

    def _roll(self) -> None:
        if (today := self._clock().date()) != self._day:
            self._day, self.total = today, 0.0
            self._per_key.clear()

    def add(self, key_id: str, usd: float) -> None:
        self._roll()
        self._per_key[key_id] += usd
        self.total += usd

    def spent(self, key_id: str) -> float:
        self._roll()
        return self._per_key.get(key_id, 0.0)

    def retry_after(self) -> int:
        return seconds_to_midnight(self._clock())
