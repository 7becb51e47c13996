"""Live progress: every replica keeps the recent ``q.events`` and streams a query's events over SSE."""

from gateway.events.log import RANK, EventLog, event_reader

__all__ = ["RANK", "EventLog", "event_reader"]
