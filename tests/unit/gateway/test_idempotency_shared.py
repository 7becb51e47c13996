"""Idempotency-Key across replicas (gateway/idempotency/shared.py): first claim wins, windows, expiry, order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

from gateway.bus import _merge_key
from gateway.idempotency import ClaimBook, fingerprint, key_query_id, scoped_key
from streams import contracts as c
from streams.progress import accepted_event

DIGEST, OTHER = fingerprint("생수병", None, None), fingerprint("우유팩", None, None)


def _claim(qid: object, digest: str, nonce: str, age_s: float = 0.0) -> c.ProgressEvent:
    event = accepted_event(qid, has_image=False, now=c.utcnow() - timedelta(seconds=age_s))  # type: ignore[arg-type]
    return event.model_copy(update={"fingerprint": digest, "claim": nonce})


def test_the_first_claim_read_wins_and_later_ones_are_ignored() -> None:
    book, scope = ClaimBook(ttl_s=3600), scoped_key("k", "client-a")
    qid, known = book.current(scope, now=7200.0)
    assert known is None and qid == key_query_id(scope, 2)
    assert qid != book.current(scoped_key("k", "client-b"), now=7200.0)[0]  # keys are per client
    book.add_event(_claim(qid, DIGEST, "first"))
    book.add_event(_claim(qid, OTHER, "second"))
    book.add_event(accepted_event(qid, has_image=False))  # unkeyed: not a claim
    won = book.get(qid)
    assert won is not None and (won.nonce, won.fingerprint) == ("first", DIGEST)


def test_a_claim_lives_into_the_next_window_until_it_expires() -> None:
    book, scope = ClaimBook(ttl_s=3600), scoped_key("k", None)
    earlier = key_query_id(scope, 1)
    book.add_event(_claim(earlier, DIGEST, "old", age_s=3000))  # 600 s left
    assert book.current(scope, now=7300.0) == (earlier, book.get(earlier))  # window 2 still sees window 1's
    book.add_event(_claim(key_query_id(scope, 3), DIGEST, "expired", age_s=3700))
    assert book.get(key_query_id(scope, 3)) is None  # older than the TTL when read: no claim
    assert book.current(scope, now=3 * 3600.0 + 5)[1] is None  # window 3: window 1's claim is out of reach


async def test_wait_for_returns_the_claim_once_it_is_read_back() -> None:
    book, qid = ClaimBook(), key_query_id("s", 0)
    waiting = asyncio.ensure_future(book.wait_for(qid, 2.0))
    await asyncio.sleep(0.01)
    book.add_event(_claim(qid, DIGEST, "mine"))
    won = await waiting
    assert won is not None and won.nonce == "mine"
    assert await book.wait_for(key_query_id("s", 1), 0.05) is None


def test_the_reader_keeps_each_partition_in_order_across_clock_skew() -> None:
    # two gateways' claims on one partition: the later one carries an earlier producer time
    rec = lambda t, ts: SimpleNamespace(topic=t, timestamp=ts)  # noqa: E731
    p0 = [rec("q.events", 100), rec("q.events", 90)]
    p1 = [rec("q.events", 95)]
    records = [*p0, *p1]
    records.sort(key=_merge_key({0: p0, 1: p1}, "q.reply"))
    assert records.index(p0[0]) < records.index(p0[1])
