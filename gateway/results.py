"""The replies a gateway replica read from ``q.reply``, kept for GET, late waiters and duplicates.

Kept as their JSON, with only the most recently used few parsed: a parsed result object is hundreds of
objects the garbage collector tracks, and with thousands of them (the store keeps up to 10,000 for an
hour) every full collection walked millions of objects — 0.4 s per 3,000 photo answers, a stall of the
whole event loop — and made every parse 5× slower (py-spy: pydantic validation was a third of the
gateway's samples at 20 photo queries/s). Bytes are not tracked by the collector. 32 parsed are
the answers of the last ~1.5 s at 20 queries/s, which is when the admission checks read them; 256
(~300 tracked objects each) were half of what a full collection walked in `bunri serve` under load.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from uuid import UUID

from streams import contracts as c

__all__ = ["ResultStore"]

Reply = c.Answer | c.Failure


class ResultStore:
    """Recent replies, bounded in size and age.

    Example:
        store = ResultStore()
        store.put(reply, raw)          # False: a duplicate (at-least-once delivery upstream)
        store.get(reply.query_id)      # the reply, parsed again if it left the parsed few
    """

    def __init__(self, max_entries: int = 10_000, ttl_s: float = 3600.0, parsed: int = 32) -> None:
        self._items: OrderedDict[UUID, tuple[float, bytes]] = OrderedDict()
        self._parsed: OrderedDict[UUID, Reply] = OrderedDict()
        self._max, self._ttl, self._parsed_max = max_entries, ttl_s, parsed

    def put(self, reply: Reply, raw: bytes | None = None) -> bool:
        """Store a reply (``raw``: its JSON as read, else encoded here); False when one was already stored."""
        self._expire()
        if reply.query_id in self._items:
            return False
        self._items[reply.query_id] = (time.monotonic() + self._ttl, raw or reply.model_dump_json().encode())
        while len(self._items) > self._max:
            self._parsed.pop(self._items.popitem(last=False)[0], None)
        self._keep_parsed(reply.query_id, reply)
        return True

    def get(self, query_id: UUID) -> Reply | None:
        entry = self._items.get(query_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        reply = self._parsed.get(query_id)
        if reply is None:
            reply = c.parse_reply(entry[1])
        self._keep_parsed(query_id, reply)
        return reply

    def __contains__(self, query_id: UUID) -> bool:
        entry = self._items.get(query_id)
        return entry is not None and entry[0] >= time.monotonic()

    def _keep_parsed(self, query_id: UUID, reply: Reply) -> None:
        self._parsed[query_id] = reply
        self._parsed.move_to_end(query_id)
        while len(self._parsed) > self._parsed_max:
            self._parsed.popitem(last=False)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._items:
            query_id, (expires, _) = next(iter(self._items.items()))
            if expires >= now:
                break
            self._items.popitem(last=False)
            self._parsed.pop(query_id, None)
