"""Replay sources (export lines, question lines) and run storage, without a broker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams import contracts as c
from streams.eval.errors import LabelsError, RunExists, RunNotFound, SourceError
from streams.eval.export import Recorded, parse_instant, resolve_topic
from streams.eval.runs import config_summary, find_run, load_labels, new_run, run_settings
from streams.eval.sources import file_items, recorded_item
from streams.settings import KafkaSettings, Settings

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _request(question: str = "생수병") -> c.QueryRequest:
    env = c.Envelope(query_id=uuid.uuid4(), created_at=T0, deadline=T0 + timedelta(seconds=30))
    return c.QueryRequest(envelope=env, question=question)


def _export_line(msg: c.QueryRequest, at: datetime, topic: str = "t1.q.preprocess") -> str:
    rec = Recorded(topic, 2, 17, at, str(msg.envelope.query_id), msg.model_dump_json().encode())
    return json.dumps(rec.to_json(), ensure_ascii=False)


def test_parse_instant_and_topic_names() -> None:
    assert parse_instant("2025-05-01T21:00+09:00") == T0
    assert parse_instant("2025-05-01T12:00") == T0  # no zone: UTC
    with pytest.raises(ValueError):
        parse_instant("yesterday")
    kafka = KafkaSettings(topic_prefix="prod.")
    assert resolve_topic(kafka, "q.gpt5") == "prod.q.gpt5" and resolve_topic(kafka, "other") == "other"


def test_file_items_read_exports_and_question_lines(tmp_path: Path) -> None:
    old, new = _request("생수병"), _request("우유팩")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        _export_line(old, T0),
        _export_line(new, T0 + timedelta(hours=2)),
        "",
        json.dumps({"id": "a1", "question": "캔", "accepted": ["금속류"], "item_id": "tuna_can"}),
        json.dumps({"question": "사진", "image": "photo.jpg"}),
        json.dumps({"topic": "q.gpt5", "value": {"not": "a request"}, "timestamp": T0.isoformat()}),
    ]) + "\n", encoding="utf-8")
    items = list(file_items(path))
    assert [i.ref for i in items[:2]] == [str(old.envelope.query_id), str(new.envelope.query_id)]
    assert items[0].replay_of == old.envelope.query_id and items[0].recorded == old
    assert items[0].origin == "mixed.jsonl:1" and items[0].recorded_at == T0
    assert items[2].ref == "a1" and items[2].label == {"accepted": ["금속류"], "item_id": "tuna_can",
                                                       "needs_clarification": None, "class": None}
    assert items[3].image_path == tmp_path / "photo.jpg" and items[3].ref == "mixed.jsonl:5"
    assert items[4].problem and "unreadable q.gpt5 value" in items[4].problem  # reported, not fatal
    after = list(file_items(path, since=T0 + timedelta(hours=1)))
    # the recording before `since` (and the poison line, recorded then too) drop; lines without a time stay
    assert [i.ref for i in after] == [str(new.envelope.query_id), "a1", "mixed.jsonl:5"]
    assert len(list(file_items(path, limit=2))) == 2


def test_file_items_refuse_what_cannot_be_replayed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"topic": "q.reply", "value": {}}) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="q.preprocess or q.gpt5"):
        list(file_items(bad))
    bad.write_text('{"neither": 1}\n', encoding="utf-8")
    with pytest.raises(SourceError, match="bad.jsonl:1"):
        list(file_items(bad))
    with pytest.raises(SourceError):
        list(file_items(tmp_path / "missing.jsonl"))


def test_a_recording_by_a_newer_producer_still_replays() -> None:
    msg = _request()
    data = {**json.loads(msg.model_dump_json()), "added_later": True}
    item = recorded_item(Recorded("q.preprocess", 0, 0, T0, None, json.dumps(data).encode()))
    assert item.problem is None and item.recorded == msg


def test_runs_are_named_directories_and_refuse_overwriting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    paths = new_run(settings, "base-1")
    paths.results.write_text('{"id": "1"}\n', encoding="utf-8")
    with pytest.raises(RunExists):
        new_run(settings, "base-1")
    assert new_run(settings, "base-1", overwrite=True) == paths
    assert find_run(settings, "base-1") == paths == find_run(settings, str(paths.results))
    with pytest.raises(RunNotFound):
        find_run(settings, "nope")
    with pytest.raises(RunNotFound):
        new_run(settings, "../escape")


def test_a_run_gets_its_own_topics_and_no_cache() -> None:
    base = Settings().model_copy(update={"kafka": KafkaSettings(topic_prefix="prod.")})
    own = run_settings(base, "b2")
    assert own.kafka.topic_prefix == "prod.replay.b2." and not own.cache.enabled
    assert base.cache.enabled and base.kafka.topic_prefix == "prod."


def test_the_manifest_config_has_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://user:pw@llm.example:8443/v1")
    config = config_summary(Settings())
    assert config["base_url"] == "https://llm.example:8443/v1" and "sk-secret" not in json.dumps(config)
    assert config["models"] == {"gpt5": "gpt-5", "gpt4o": "gpt-4o-mini"} and not config["offline"]


def test_labels_load_and_complain_precisely(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text('{"id": "x", "question": "캔 버려요", "accepted": ["금속류"]}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(LabelsError, match="l.jsonl:2"):
        load_labels(path)
    path.write_text('{"id": "x", "question": "캔 버려요?", "accepted": ["금속류"]}\n'
                    '{"id": "v", "question": "통 어떻게 버려요", "accepted": [], "needs_clarification": true}\n',
                    encoding="utf-8")
    labels = load_labels(path)
    assert labels.find("x", None) is labels.find(None, "캔  버려요") is not None
    assert labels.find("v", None).needs_clarification  # type: ignore[union-attr]
    path.write_text('{"id": "v", "question": "통", "accepted": []}\n', encoding="utf-8")
    with pytest.raises(LabelsError, match="needs_clarification"):
        load_labels(path)
