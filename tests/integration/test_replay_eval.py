"""The evaluator's flow end to end on a real broker with the fake model server.

Record labelled traffic through the live pipeline (configuration A: gpt-5 + gpt-4o-mini, half of it with
photos), let the clock pass the raw-upload retention (the sweep at now + 2 h), export ``q.gpt5`` with
``bunri export``, replay it with ``bunri replay`` under A and under B (another answer model, the
``concise`` prompt variant, a stricter confidence threshold), and evaluate both with ``bunri eval``
against the labels and against each other. The commands run as subprocesses, as a person runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient
from PIL import Image
from pydantic import SecretStr

from gateway.bus import KafkaRequestBus
from streams import contracts as c
from streams.cli.ask import ask_one
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from streams.runtime import running_stages
from streams.settings import STAGES, Settings
from streams.stages import gpt4o_prompt
from streams.store import make_store
from streams.sweep import sweep
from tests.integration.conftest import make_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

ROOT = Path(__file__).resolve().parents[2]
LABELLED = sorted((ROOT / "tests" / "data" / "labelled").glob("*.jsonl"))
BUNRI = str(Path(sys.executable).with_name("bunri"))
# Typos and aliases, which the fake vision model reads with the resolver at confidence 0.85 (below B's
# threshold of 0.9), among plainly named items it reports at 0.92: B must turn some photos into questions.
PICKED = ["a001", "a003", "a007", "a016", "a025", "a040", "a061", "a088", "b001", "b003", "b020", "b040",
          "b060", "b080", "c001", "c003", "c020", "c040", "c060", "c080"]


@dataclass
class Recorded:
    settings: Settings
    env: dict[str, str]
    work: Path
    labels: Path
    cases: dict[str, dict[str, Any]]
    replies: dict[str, c.Answer | c.Failure] = field(default_factory=dict)  # label id -> live reply
    photo: set[str] = field(default_factory=set)

    def cli(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([BUNRI, *args], env=self.env, cwd=self.work, capture_output=True,  # noqa: S603
                              text=True, timeout=timeout, check=False)
        assert done.returncode == 0, f"bunri {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
        return done

    def results(self, run: str) -> list[dict[str, Any]]:
        path = self.settings.data_dir / "runs" / run / "results.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cases() -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for f in LABELLED for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {row["id"]: row for row in rows}
    return {ref: by_id[ref] for ref in PICKED}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def recorded(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Recorded]:
    work = tmp_path_factory.mktemp("eval")
    cases = _cases()
    labels = work / "labels.jsonl"
    labels.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in cases.values()), encoding="utf-8")
    with FakeLLMServer(FakeLLMConfig(vision_latency=(0, 0), answer_latency=(0, 0), seed=7)) as server:
        settings = make_settings(kafka_bootstrap, work / "data", openai_api_key=SecretStr("fake"),
                                 openai_base_url=server.base_url, query_timeout_s=30.0)
        env = {**os.environ, "KAFKA_BOOTSTRAP": kafka_bootstrap, "BUNRI_DATA_DIR": str(settings.data_dir),
               "BUNRI_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix, "OPENAI_API_KEY": "fake",
               "OPENAI_BASE_URL": server.base_url, "BUNRI_QUERY_TIMEOUT_S": "30"}
        rec = Recorded(settings, env, work, labels, cases)
        async with running_stages(settings, list(STAGES)):
            bus = KafkaRequestBus(settings)
            await bus.start()
            try:
                store = make_store(settings)
                for n, (ref, row) in enumerate(cases.items()):
                    image = None
                    if n % 2 == 0:  # a distinct photo each, so no analysis is shared through the cache
                        image = work / f"photo{n}.jpg"
                        Image.new("RGB", (96, 64), (n * 12 % 256, 80, 160)).save(image, "JPEG")
                        rec.photo.add(ref)
                    rec.replies[ref] = await ask_one(bus, store, settings, row["question"], image)
            finally:
                await bus.stop()
        yield rec


async def test_live_traffic_was_recorded_and_an_hour_passes(recorded: Recorded) -> None:
    assert all(isinstance(r, c.Answer) for r in recorded.replies.values()), recorded.replies
    store = make_store(recorded.settings)
    assert await store.list("raw/")  # the processed markers, until the sweep
    later = c.utcnow() + timedelta(hours=2)
    report = await sweep(store, recorded.settings.cache, recorded.settings.preprocess, later)
    assert report.raw_deleted > 0 and await store.list("raw/") == []
    assert len(await store.list("images/")) == len(recorded.photo)  # kept: image_retention_s is 30 days


async def test_export_writes_the_recorded_requests_with_their_positions(recorded: Recorded) -> None:
    recorded.cli("export", "--topic", "q.gpt5", "--output", "gpt5.jsonl")
    lines = [json.loads(x) for x in (recorded.work / "gpt5.jsonl").read_text(encoding="utf-8").splitlines()]
    live_ids = {str(r.query_id) for r in recorded.replies.values()}
    assert {line["value"]["envelope"]["query_id"] for line in lines} == live_ids
    assert all({"partition", "offset", "timestamp", "key", "topic"} <= set(line) for line in lines)
    photos = [line for line in lines if line["value"]["image"]]
    assert len(photos) == len(recorded.photo) and all(p["value"]["image"]["key"].startswith("images/") for p in photos)
    limited = recorded.cli("export", "--topic", "q.gpt5", "--limit", "3").stdout.splitlines()
    future = (c.utcnow() + timedelta(days=1)).isoformat()
    assert len(limited) == 3 and recorded.cli("export", "--topic", "q.gpt5", "--since", future).stdout == ""


async def test_photos_replay_from_q_gpt5_but_not_from_q_preprocess_after_an_hour(recorded: Recorded) -> None:
    recorded.cli("replay", "--from", "q.preprocess", "--run", "pre")
    lines = recorded.results("pre")
    skipped = {line["id"] for line in lines if line.get("skipped")}
    assert len(lines) == len(recorded.cases) and len(skipped) == len(recorded.photo)
    assert all("replay photo queries from q.gpt5" in line["skipped"] for line in lines if line.get("skipped"))
    assert all(line["reply"]["kind"] == "answer" for line in lines if not line.get("skipped"))


async def test_replay_under_two_configurations_leaves_the_live_side_alone(recorded: Recorded) -> None:
    store = make_store(recorded.settings)
    live_cache = {(o.key, o.last_modified) for o in await store.list("cache/")}
    recorded.cli("replay", "--from", "gpt5.jsonl", "--run", "a")
    recorded.cli("replay", "--from", "gpt5.jsonl", "--run", "b", "--gpt4o-model", "gpt-4o",
                 "--gpt4o-prompt", "concise", "--min-confidence", "0.9")
    originals = {str(r.query_id) for r in recorded.replies.values()}
    for run in ("a", "b"):
        lines = recorded.results(run)
        assert len(lines) == len(recorded.cases) and not any(line.get("skipped") for line in lines)
        failed = [line["reply"] for line in lines if line["reply"]["kind"] != "answer"]
        assert not failed, f"run {run}: {failed[:2]}"
        assert {line["replay_of"] for line in lines} == originals  # every original, photos included
        assert all(line["reply"]["replay_of"] == line["replay_of"] != line["query_id"] for line in lines)
        assert all("preprocess" not in line["reply"]["timings_ms"] for line in lines)  # re-run from q.gpt5
    prompts_b = {line["reply"]["prompts"]["gpt4o"] for line in recorded.results("b")}
    assert len(prompts_b) == 1 and prompts_b.pop().startswith(f"{gpt4o_prompt.PROMPT_VERSION}+concise@")
    assert {o.key for o in await store.list("cache/")} and {
        (o.key, o.last_modified) for o in await store.list("cache/")} == live_cache  # the live cache untouched
    admin = AIOKafkaAdminClient(bootstrap_servers=recorded.settings.bootstrap)
    await admin.start()
    try:
        prefix = recorded.settings.kafka.topic_prefix
        leftover = [t for t in await admin.list_topics() if t.startswith(prefix + "replay.")]
    finally:
        await admin.close()
    assert leftover == []  # the runs' own topics are gone; their replies never touched the live q.reply


def _category(reply: dict[str, Any]) -> str | None:
    if reply["kind"] != "answer" or reply["needs_clarification"]:
        return None
    return reply["items"][0]["official_category"] if reply["items"] else None


async def test_eval_against_labels_and_against_each_other(recorded: Recorded) -> None:
    out_a = json.loads(recorded.cli("eval", "--run", "a", "--labels", str(recorded.labels), "--json").stdout)
    out_b = json.loads(recorded.cli("eval", "--run", "b", "--labels", str(recorded.labels), "--against", "a",
                                    "--json", "--report", "report.html").stdout)
    n = len(recorded.cases)
    # A recorded query's id is its original query id; the labels join it on the question's text.
    label_of = {str(reply.query_id): recorded.cases[ref] for ref, reply in recorded.replies.items()}
    for out, run in ((out_a, "a"), (out_b, "b")):
        m, lines = out["run"]["metrics"], recorded.results(run)
        agreed = sum(_category(ln["reply"]) in label_of[ln["replay_of"]]["accepted"] for ln in lines)
        clarified = sum(bool(ln["reply"]["needs_clarification"]) for ln in lines)
        cost = sum(ln["reply"]["usage"]["cost_usd"] for ln in lines)
        assert (m["queries"], m["answers"], m["failures"], m["skipped"]) == (n, n, 0, 0)
        assert m["labelled"]["queries"] == n and m["labelled"]["category_agreed"] == agreed
        assert m["labelled"]["category_agreement"] == round(agreed / n, 4)
        assert sum(map(sum, m["labelled"]["confusion"]["counts"])) == n
        assert m["clarification_rate"] == round(clarified / n, 4)
        assert m["cost_usd"]["total"] == pytest.approx(cost, abs=1e-6) and cost > 0
        assert m["latency_ms"]["end_to_end"]["n"] == n and m["latency_ms"]["end_to_end"]["p50"] > 0
        assert {"gpt5", "rag", "gpt4o"} <= set(m["latency_ms"]) and "values" not in m["latency_ms"]["gpt5"]
    mb, ma = out_b["run"]["metrics"], out_a["run"]["metrics"]
    assert mb["clarification_rate"] > ma["clarification_rate"]  # the stricter threshold asks more often
    assert any("gpt4o:gpt-4o" in k for k in mb["cost_usd"]["by_model"]) and not any(
        "gpt4o:gpt-4o-mini" in k for k in mb["cost_usd"]["by_model"])
    # who wrote b's answers: the other model (or the rules, when its answer failed the check; None: a question)
    writers_b = {g["provider"].get("gpt4o") for g in mb["configurations"]}
    assert "gpt-4o" in writers_b and writers_b <= {"gpt-4o", "offline (fallback)", None}
    assert "gpt-4o-mini" in {g["provider"].get("gpt4o") for g in ma["configurations"]}
    cats_a = {ln["id"]: _category(ln["reply"]) for ln in recorded.results("a")}
    changed = {ln["id"] for ln in recorded.results("b") if _category(ln["reply"]) != cats_a[ln["id"]]}
    comp = out_b["comparison"]
    assert comp["compared"] == n and comp["category_changed"] == len(changed) > 0
    listed = {ch["id"]: ch for ch in comp["changed"]}
    assert changed <= set(listed) and all(ch["answer"]["against"] and ch["answer"]["run"] for ch in listed.values())
    page = (recorded.work / "report.html").read_text(encoding="utf-8")
    for chart in ("chart-confusion", "chart-per-category", "chart-latency", "chart-cost"):
        assert f'id="{chart}"' in page, chart
    assert page.count("Plotly.newPlot") >= 4 and "<script src=" not in page and len(page) > 1_000_000
    assert next(iter(changed)) in page and f"{gpt4o_prompt.PROMPT_VERSION}+concise@" in page


async def test_images_past_their_retention_are_reported_not_replayed(recorded: Recorded) -> None:
    store = make_store(recorded.settings)
    months_later = c.utcnow() + timedelta(days=31)
    report = await sweep(store, recorded.settings.cache, recorded.settings.preprocess, months_later)
    assert report.images_deleted == len(recorded.photo)
    recorded.cli("replay", "--from", "gpt5.jsonl", "--run", "late")
    skipped = [line for line in recorded.results("late") if line.get("skipped")]
    assert len(skipped) == len(recorded.photo) and all("IMAGE_RETENTION_S" in s["skipped"] for s in skipped)
    out = json.loads(recorded.cli("eval", "--run", "late", "--json").stdout)
    assert out["run"]["metrics"]["skipped_by_reason"] == {"image_unavailable": len(recorded.photo)}


async def test_unknown_prompt_variant_and_missing_run_are_plain_errors(recorded: Recorded) -> None:
    done = subprocess.run([BUNRI, "replay", "--from", "gpt5.jsonl", "--run", f"x{uuid.uuid4().hex[:6]}",  # noqa: S603
                           "--gpt4o-prompt", "shouty"], env=recorded.env, cwd=recorded.work, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2 and "unknown prompt variant 'shouty'" in done.stderr
    done = subprocess.run([BUNRI, "eval", "--run", "nope"], env=recorded.env, cwd=recorded.work,  # noqa: S603
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "no run 'nope'" in done.stderr
