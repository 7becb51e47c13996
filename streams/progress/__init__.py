"""Progress events on ``q.events``: built from what a stage produced, published by the glue, never by handlers."""

from streams.progress.events import accepted_event, decode_records, with_progress

__all__ = ["accepted_event", "decode_records", "with_progress"]
