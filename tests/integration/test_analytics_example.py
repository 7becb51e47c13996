"""examples/analytics/summary.py against the real broker: a consumer that knows only the public contract."""

from __future__ import annotations

import ast
import asyncio
import json
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from gateway.bus import KafkaRequestBus
from streams import contracts as c
from streams.cli.ask import ask_one
from streams.runtime import running_stages
from streams.settings import STAGES, Settings
from streams.store import make_store
from streams.topics import topic_name
from tests.integration.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "analytics" / "summary.py"
# At most 4 categories, so with the injected 전지 the example's top 5 is every category (no ties cut).
QUESTIONS = ["뚜껑 닫힌 생수병 어떻게 버려?", "우유팩 버리는 법", "맥주캔 버리는 법", "생수병 버려요"]


async def test_the_example_imports_nothing_of_bunri() -> None:
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names.isdisjoint({"streams", "gateway", "bunri"}) and {"aiokafka", "jsonschema"} <= names


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def answered(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[tuple[Settings, list[c.Answer]]]:
    settings = make_settings(kafka_bootstrap, tmp_path_factory.mktemp("analytics"))
    answers = []
    async with running_stages(settings, list(STAGES)):
        bus = KafkaRequestBus(settings)
        await bus.start()
        try:
            for question in QUESTIONS:
                reply = await ask_one(bus, make_store(settings), settings, question, None)
                assert isinstance(reply, c.Answer)
                answers.append(reply)
        finally:
            await bus.stop()
    yield settings, answers


async def test_the_example_summarises_live_replies_and_reads_an_added_field(
        answered: tuple[Settings, list[c.Answer]]) -> None:
    settings, answers = answered
    reply_topic = topic_name(settings.kafka, "reply")
    # What a newer bunri might write: an Answer with a field today's schema does not name, a duplicate
    # (at-least-once delivery), and something that is not a reply at all.
    newer = c.Answer(query_id=uuid.uuid4(), question="건전지", answer="전지 수거함에 버립니다.",
                     item=c.ItemRef(item_id="alkaline_battery", name="건전지", official_category="전지"),
                     analysis=c.VisionAnalysis(saw_image=False), accepted_at=c.utcnow() - timedelta(seconds=2),
                     usage=c.Usage(cost_usd=0.25))
    value = json.dumps({**json.loads(newer.model_dump_json()), "tenant": "서울 마포구청"}).encode()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
    await producer.start()
    try:
        for payload in (value, value, b'{"kind": "answer"}'):
            await producer.send_and_wait(reply_topic, payload, key=str(newer.query_id).encode())
    finally:
        await producer.stop()

    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--bootstrap", settings.bootstrap or "", "--topic", reply_topic,
        "--group", f"analytics-{uuid.uuid4().hex[:6]}", "--from-beginning", "--json", "--every", "1",
        "--max-messages", str(len(QUESTIONS) + 3), "--max-seconds", "60",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd="/")
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()[-2000:]
    last = json.loads(out.decode().strip().splitlines()[-1])
    assert (last["replies"], last["answers"], last["duplicates"], last["invalid"]) == (len(QUESTIONS) + 1,
                                                                                       len(QUESTIONS) + 1, 1, 1)
    expected = Counter(a.items[0].official_category for a in answers if a.items) + Counter({"전지": 1})
    assert dict(last["top_categories"]) == dict(expected.most_common(5))
    assert any(name.startswith("건전지 (alkaline_battery)") for name, _ in last["top_items"])
    assert last["clarification_rate"] == 0 and last["degraded_rate"] == 0
    assert sum(last["cost_per_hour_usd"].values()) == pytest.approx(0.25)
    assert last["p95_latency_ms"] is not None and last["p95_latency_ms"] > 0
