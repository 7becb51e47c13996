"""End to end through a real broker: the four faust stages in-process, the offline provider."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from gateway.bus import KafkaRequestBus
from gateway.main import create_app
from streams import contracts as c
from streams.broker import free_port
from streams.cli.ask import ask_one
from streams.runtime import running_stages
from streams.settings import STAGES, Settings
from streams.store import make_store
from streams.topics import topic_name
from tests.integration.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pet_bottle.jpg"


class Pipeline:
    def __init__(self, settings: Settings, bus: KafkaRequestBus, base_url: str) -> None:
        self.settings, self.bus, self.base_url = settings, bus, base_url
        self.store = make_store(settings)

    def topic(self, key: str) -> str:
        return topic_name(self.settings.kafka, key)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Pipeline]:
    settings = make_settings(kafka_bootstrap, tmp_path_factory.mktemp("data"))
    async with running_stages(settings, list(STAGES)):
        bus = KafkaRequestBus(settings)
        await bus.start()
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                               log_level="warning"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):  # the gateway connects to Kafka in the background
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
        try:
            yield Pipeline(settings, bus, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await serving
            await bus.stop()


async def _read_topic(p: Pipeline, key: str, *, timeout: float = 10.0,
                      until: Any = None) -> list[bytes]:
    """Read a topic from the beginning until ``until(values)`` holds or time runs out."""
    consumer = AIOKafkaConsumer(bootstrap_servers=p.settings.bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=20)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(p.topic(key)) or set()
        consumer.assign([TopicPartition(p.topic(key), n) for n in parts])
        values: list[bytes] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                values.extend(r.value for r in records)
            if until is not None and until(values):
                break
        return values
    finally:
        await consumer.stop()


async def test_text_only_query_is_answered(pipeline: Pipeline) -> None:
    reply = await ask_one(pipeline.bus, pipeline.store, pipeline.settings, "뚜껑 닫힌 생수병 어떻게 버려?", None)
    assert isinstance(reply, c.Answer), reply
    assert reply.item is not None and reply.item.official_category == "무색페트병"
    assert reply.provider == {"gpt5": "offline", "gpt4o": "offline"}
    assert set(STAGES) <= set(reply.timings_ms)
    assert reply.analysis.saw_image is False
    assert reply.rules and all(rule.sources for rule in reply.rules)


async def test_photo_and_question_over_http(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.base_url, timeout=30) as client:
        files = {"image": ("bottle.jpg", EXAMPLE.read_bytes(), "image/jpeg")}
        resp = await client.post("/v1/queries", data={"question": "이 페트병은 어떻게 버려요?"}, files=files)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["kind"] == "answer" and body["item"]["official_category"] == "무색페트병"
    assert body["analysis"]["saw_image"] is False  # offline: never pretends to see the photo
    assert "preprocess" in body["timings_ms"] and body["timings_ms"]["total"] > 0
    stored = [o.key for o in await pipeline.store.list("images/")]
    assert len(stored) == 1  # the normalised image, content-addressed
    raw = [o.key for o in await pipeline.store.list("raw/")]
    assert f"raw/{body['query_id']}" not in raw  # the raw upload (with its GPS) is gone after processing
    assert all(key.endswith(".prepared.json") for key in raw)  # only the redelivery marker stays


async def test_bad_inputs_get_json_errors(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.base_url, timeout=30) as client:
        cases = [
            (await client.post("/v1/queries", data={"question": "   "}), 422, "invalid_input"),
            (await client.post("/v1/queries", json={"question": "가" * 501}), 422, "invalid_input"),
            (await client.post("/v1/queries", json={}), 422, "invalid_input"),
            (await client.post("/v1/queries", data={"question": "이거 뭐예요"},
                               files={"image": ("x.jpg", b"hello, not an image", "image/jpeg")}),
             415, "unsupported_image"),
            (await client.post("/v1/queries", data={"question": "큰 사진"},
                               files={"image": ("big.jpg", b"\xff\xd8\xff" + b"0" * (21 * 1024 * 1024),
                                                "image/jpeg")}), 413, "image_too_large"),
            (await client.get(f"/v1/queries/{uuid.uuid4()}"), 404, "not_found"),
        ]
    for resp, status, code in cases:
        assert resp.status_code == status, resp.text
        assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]


async def test_pending_then_get(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.base_url, timeout=30) as client:
        resp = await client.post("/v1/queries?wait=0", json={"question": "우유팩 버리는 법"})
        assert resp.status_code == 202 and resp.json()["status"] == "pending"
        location = resp.headers["location"]
        for _ in range(200):
            got = await client.get(location)
            if got.status_code == 200:
                break
            assert got.status_code == 202
            await asyncio.sleep(0.05)
    assert got.status_code == 200 and got.json()["item"]["official_category"] == "종이팩"


async def test_idempotency_key_processes_once(pipeline: Pipeline) -> None:
    key = f"idem-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=pipeline.base_url, timeout=30) as client:
        first, second = await asyncio.gather(*(
            client.post("/v1/queries", json={"question": "소주병 어떻게 버려요"}, headers={"Idempotency-Key": key})
            for _ in range(2)
        ))
        third = await client.post("/v1/queries", json={"question": "소주병 어떻게 버려요"},
                                  headers={"Idempotency-Key": key})
    ids = {r.json().get("query_id") for r in (first, second, third)}
    assert len(ids) == 1, [r.text for r in (first, second, third)]
    requests = await _read_topic(pipeline, "preprocess", timeout=2)
    with_key = [v for v in requests if json.loads(v).get("idempotency_key") == key]
    assert len(with_key) == 1


async def test_poison_message_is_dead_lettered_and_answered(pipeline: Pipeline) -> None:
    poison_id = uuid.uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.settings.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(pipeline.topic("preprocess"), b'{"envelope": "garbage"',
                                     key=str(poison_id).encode())
    finally:
        await producer.stop()
    reply = await pipeline.bus.wait(poison_id, 1)  # not registered by this bus: read from results
    for _ in range(100):
        reply = pipeline.bus.result(poison_id)
        if reply is not None:
            break
        await asyncio.sleep(0.05)
    assert isinstance(reply, c.Failure) and reply.reason == "invalid_input" and reply.stage == "preprocess"
    dead = await _read_topic(pipeline, "dead_letter", until=lambda vs: any(str(poison_id) in v.decode() for v in vs))
    letters = [c.DeadLetter.model_validate_json(v) for v in dead]
    letter = next(d for d in letters if d.query_id == poison_id)
    assert letter.reason == "invalid_input" and '"garbage"' in letter.payload
    after = await ask_one(pipeline.bus, pipeline.store, pipeline.settings, "맥주캔 버리는 법", None)
    assert isinstance(after, c.Answer)  # the workers survived the poison message


async def test_expired_deadline_gives_timeout_failure(pipeline: Pipeline) -> None:
    now = c.utcnow()
    request = c.QueryRequest(
        envelope=c.Envelope(query_id=uuid.uuid4(), created_at=now - timedelta(seconds=60),
                            deadline=now - timedelta(seconds=1)),
        question="생수병",
    )
    await pipeline.bus.submit(request)
    reply = await pipeline.bus.wait(request.envelope.query_id, 10)
    assert isinstance(reply, c.Failure) and reply.reason == "timeout"
