"""Idempotency-Key on one replica: one run per key, the same result for every retry, 422 on reuse."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from gateway.idempotency import IdempotencyLedger, fingerprint, scoped_key
from gateway.main import create_app
from streams import contracts as c
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


class SlowBus(FakeBus):
    """Answers 0.3 s after submission, and registers its waiter only once submitted (as the real bus)."""

    def __init__(self) -> None:
        super().__init__(silent=True)
        self.done: dict[uuid.UUID, asyncio.Event] = {}

    async def submit(self, request: c.QueryRequest, before: list[tuple[str, bytes, bytes]] | tuple[()] = ()) -> None:
        await asyncio.sleep(0.05)  # the first request is still on its way when the retries come
        await super().submit(request, before)
        qid = request.envelope.query_id
        self.done[qid] = asyncio.Event()

        async def answer() -> None:
            await asyncio.sleep(0.3)
            self.replies[qid] = c.Answer(query_id=qid, question=request.question, answer="답", item=None,
                                         analysis=c.VisionAnalysis(saw_image=False))
            self.done[qid].set()

        asyncio.get_running_loop().create_task(answer())

    async def wait(self, query_id: uuid.UUID, timeout: float) -> c.Answer | c.Failure | None:
        if (event := self.done.get(query_id)) is None:
            return self.replies.get(query_id)  # no waiter here: at once, like KafkaRequestBus
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return None
        return self.replies.get(query_id)


def test_ledger_scopes_keys_per_client_and_remembers_the_fingerprint() -> None:
    ledger, qid = IdempotencyLedger(ttl_s=60), uuid.uuid4()
    digest = fingerprint("생수병", None, None)
    assert ledger.reserve(scoped_key("k", "client-a"), qid, digest) is None
    assert ledger.reserve(scoped_key("k", "client-b"), uuid.uuid4(), digest) is None  # another client
    claim = ledger.reserve(scoped_key("k", "client-a"), uuid.uuid4(), digest)
    assert claim is not None and claim.query_id == qid and claim.fingerprint == digest
    assert fingerprint("생수병", b"x", None) != digest and fingerprint("생수병", None, "강남구") != digest


def test_concurrent_retries_run_once_and_all_wait_for_the_answer(tmp_path: Path) -> None:
    bus = SlowBus()
    with TestClient(create_app(Settings(data_dir=tmp_path), bus=bus, store=LocalStore(tmp_path))) as client:
        def send(question: str) -> httpx.Response:
            return client.post("/v1/queries?wait=5", json={"question": question}, headers={"Idempotency-Key": "k1"})

        with ThreadPoolExecutor(10) as pool:
            replies = list(pool.map(send, ["생수병"] * 10))
        reused = send("우유팩")
    assert len(bus.submitted) == 1
    assert [r.status_code for r in replies] == [200] * 10  # every one waited like the first, none got 202
    assert {r.json()["query_id"] for r in replies} == {str(bus.submitted[0].envelope.query_id)}
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
