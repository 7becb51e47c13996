"""Per-stage concurrency: settings from the environment, the defaults per shape, the CLI flags."""

from __future__ import annotations

import argparse

import pytest

from streams.cli.run_cmds import _settings, _stage_value
from streams.settings import SERVE_CONCURRENCY, WORKER_CONCURRENCY, Settings, StageConcurrency


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BUNRI_WORKER__CONCURRENCY", *(f"BUNRI_WORKER__CONCURRENCY__{s.upper()}" for s in WORKER_CONCURRENCY)):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_seeds_per_worker_and_totals_for_every_stage() -> None:
    c = StageConcurrency()
    assert {s: c.of(s) for s in WORKER_CONCURRENCY} == {"preprocess": 8, "gpt5": 20, "rag": 4, "gpt4o": 10}
    assert {s: c.of(s, every_stage=True) for s in SERVE_CONCURRENCY} == {
        "preprocess": 24, "gpt5": 100, "rag": 8, "gpt4o": 30}


def test_per_stage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUNRI_WORKER__CONCURRENCY__GPT5", "50")
    c = Settings().worker.concurrency
    assert c.of("gpt5") == 50 and c.of("gpt5", every_stage=True) == 50
    assert c.of("gpt4o") == 10 and c.of("gpt4o", every_stage=True) == 30


def test_single_value_applies_to_every_stage_but_a_stages_own_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUNRI_WORKER__CONCURRENCY", "5")
    c = Settings().worker.concurrency
    assert [c.of(s) for s in WORKER_CONCURRENCY] == [5, 5, 5, 5]
    assert StageConcurrency(single=5, rag=2).of("rag") == 2


def test_serve_flag_sets_stages_and_rejects_nonsense() -> None:
    assert _stage_value("gpt5=64") == ("gpt5", 64)
    for bad in ("gpt6=3", "gpt5=0", "gpt5", "gpt5=x"):
        with pytest.raises(argparse.ArgumentTypeError):
            _stage_value(bad)
    c = _settings(argparse.Namespace(concurrency=[("gpt5", 64), ("rag", 3)])).worker.concurrency
    assert [c.of(s, every_stage=True) for s in ("gpt5", "rag", "gpt4o")] == [64, 3, 30]


def test_worker_flag_is_the_single_value() -> None:
    c = _settings(argparse.Namespace(concurrency=7, web_port=None)).worker.concurrency
    assert c.single == 7 and c.of("gpt4o") == 7
