"""The evaluation's numbers on a small, hand-counted run, and the HTML report drawn from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.eval.evaluation import as_text, for_json
from streams.eval.metrics import CLARIFICATION, FAILURE, category_of, compare, percentile, summarize
from streams.eval.report import write_report
from streams.eval.runs import Label, Labels


def answer(category: str | None, *, item: str | None = None, text: str = "답", cost: float = 0.0,
           timings: dict[str, float] | None = None, clarification: bool = False, degraded: bool = False,
           provider: dict[str, str] | None = None) -> dict[str, Any]:
    items = [] if category is None else [{"item_id": item, "name": "x", "official_category": category}]
    return {"kind": "answer", "answer": text, "needs_clarification": clarification, "degraded": degraded,
            "item": {"item_id": item, "name": "x", "official_category": category} if item else None,
            "items": items, "usage": {"cost_usd": cost, "calls": [{"stage": "gpt4o", "model": "m", "cost_usd": cost}]},
            "timings_ms": timings or {}, "provider": provider or {"gpt5": "offline", "gpt4o": "offline"},
            "prompts": {}, "rules_version": "r1", "bunri_version": "0.1.0"}


def failure(reason: str) -> dict[str, Any]:
    return {"kind": "failure", "reason": reason, "message": "m", "stage": "gpt5", "bunri_version": "0.1.0"}


def line(ref: str, reply: dict[str, Any] | None, question: str = "q", **kw: Any) -> dict[str, Any]:
    return {"id": ref, "question": question, "reply": reply, **kw}


LABELS = Labels([
    Label("1", "페트병", ("무색페트병",), "water_pet_bottle"),
    Label("2", "깨진 병", ("불연성종량제폐기물", "일반종량제폐기물"), None),
    Label("3", "캔", ("금속류",), "tuna_can"),
    Label("4", "영수증", ("일반종량제폐기물",), "receipt"),
    Label("5", "우유팩", ("종이팩",), None),
], "test")

RUN = [
    line("1", answer("무색페트병", item="water_pet_bottle", cost=0.002, timings={"gpt5": 10, "total": 100})),
    line("2", answer("일반종량제폐기물", cost=0.001, timings={"gpt5": 30, "total": 300})),  # 2nd accepted: right
    line("3", answer("플라스틱류", item="plastic_toy", timings={"gpt5": 20, "total": 200}, degraded=True)),
    line("4", answer(None, clarification=True, timings={"total": 400})),
    line("5", failure("timeout")),
    line("6", None, skipped="image_unavailable: images/x.jpg was swept"),
]


def test_category_of_reads_the_primary_item_and_names_the_rest() -> None:
    assert category_of(answer("금속류")) == "금속류"
    assert category_of(answer(None, clarification=True)) == CLARIFICATION
    assert category_of(failure("internal")) == FAILURE


@pytest.mark.parametrize("q, expected", [(0, 1.0), (50, 2.5), (95, 3.85), (100, 4.0)])
def test_percentile_interpolates_between_ranks(q: float, expected: float) -> None:
    assert percentile([4, 1, 3, 2], q) == expected
    assert percentile([], q) is None


def test_summary_counts_rates_cost_and_latency() -> None:
    m = summarize(RUN, labels=LABELS)
    assert (m["queries"], m["replied"], m["answers"], m["failures"], m["skipped"]) == (6, 5, 4, 1, 1)
    assert m["skipped_by_reason"] == {"image_unavailable": 1}
    assert m["clarification_rate"] == 0.2 and m["degraded_rate"] == 0.2 and m["failure_rate"] == 0.2
    assert m["failures_by_reason"] == {"timeout": 1}
    assert m["cost_usd"]["total"] == pytest.approx(0.003) and m["cost_usd"]["per_query"] == pytest.approx(0.0006)
    assert m["cost_usd"]["by_model"] == {"gpt4o:m": pytest.approx(0.003)}
    assert m["latency_ms"]["gpt5"]["p50"] == 20 and m["latency_ms"]["end_to_end"]["p95"] == pytest.approx(385)
    assert list(m["latency_ms"]) == ["gpt5", "end_to_end"]


def test_agreement_per_category_items_and_confusion() -> None:
    lab = summarize(RUN, labels=LABELS)["labelled"]
    assert (lab["queries"], lab["category_agreed"], lab["category_agreement"]) == (5, 2, 0.4)
    assert lab["per_category"]["불연성종량제폐기물"] == {"queries": 1, "agreed": 1, "agreement": 1.0}
    assert lab["per_category"]["금속류"]["agreed"] == 0
    assert (lab["item_labelled"], lab["item_agreed"]) == (3, 1)  # 1 right, 3 wrong item, 4 a clarification
    conf = lab["confusion"]
    cell = {(r, col): conf["counts"][i][j] for i, r in enumerate(conf["expected"])
            for j, col in enumerate(conf["answered"])}
    assert cell[("불연성종량제폐기물", "불연성종량제폐기물")] == 1  # an accepted alternative sits on the diagonal
    assert cell[("금속류", "플라스틱류")] == 1 and cell[("일반종량제폐기물", CLARIFICATION)] == 1
    assert cell[("종이팩", FAILURE)] == 1
    assert sum(map(sum, conf["counts"])) == 5 and conf["answered"][-1] == FAILURE


def test_a_vague_question_is_answered_right_by_asking_back() -> None:
    labels = Labels([Label("v", "통 어떻게 버려요", (), None, needs_clarification=True, cls="vague"),
                     Label("n", "생수병", ("무색페트병",), None, cls="plain")], "test")
    lab = summarize([line("v", answer(None, clarification=True)), line("n", answer(None, clarification=True))],
                    labels=labels)["labelled"]
    assert lab["category_agreed"] == 1 and lab["per_category"][CLARIFICATION]["agreed"] == 1
    assert lab["per_class"] == {"plain": {"queries": 1, "agreed": 0, "agreement": 0.0},
                                "vague": {"queries": 1, "agreed": 1, "agreement": 1.0}}
    assert lab["needless_clarification_rate"] == 1.0  # the named bottle should not have been asked about


def test_labels_carried_by_the_results_are_used_without_a_labels_file() -> None:
    lines = [line("a", answer("종이"), label={"accepted": ["종이"], "item_id": None}), line("b", answer("종이"))]
    assert summarize(lines)["labelled"]["queries"] == 1


def test_configurations_group_what_produced_the_replies() -> None:
    lines = [line("1", answer("종이", provider={"gpt4o": "gpt-4o"})), line("2", answer("종이")),
             line("3", answer("종이")), line("4", failure("internal"))]
    groups = summarize(lines)["configurations"]
    assert [g["queries"] for g in groups] == [2, 1, 1]
    assert groups[0]["provider"] == {"gpt5": "offline", "gpt4o": "offline"}


def test_compare_lists_changed_categories_and_answers_with_both_texts() -> None:
    before = [line("1", answer("종이", text="종이로 버립니다")), line("2", answer("금속류", text="캔")),
              line("3", answer("비닐류", text="비닐  류"))]
    after = [line("1", answer("종이", text="종이로 버립니다")), line("2", answer("플라스틱류", text="플라스틱")),
             line("3", answer("비닐류", text="비닐 류")), line("4", answer("종이"))]
    comp = compare(after, before)
    assert (comp["compared"], comp["category_changed"], comp["answer_changed"], comp["only_in_run"]) == (3, 1, 1, 1)
    [changed] = comp["changed"]
    assert changed["id"] == "2" and changed["changed"] == ["category", "answer"]
    assert changed["category"] == {"against": "금속류", "run": "플라스틱류"}
    assert changed["answer"] == {"against": "캔", "run": "플라스틱"}


def test_json_drops_the_series_and_the_report_draws_every_chart(tmp_path: Path) -> None:
    metrics = summarize(RUN, labels=LABELS)
    result = {"generated_at": "2025-05-01T00:00:00+00:00", "labels": "test",
              "run": {"name": "b", "manifest": {}, "metrics": metrics},
              "against": {"name": "a", "manifest": {}, "metrics": metrics},
              "comparison": compare(RUN, RUN[:2] + [line("3", answer("금속류", text="<b>캔</b>"))])}
    assert "values" not in str(for_json(result)) and "values" in str(result)
    assert "category agreement 40.0%" in as_text(result)
    page = tmp_path / "report.html"
    write_report(page, result)
    text = page.read_text(encoding="utf-8")
    for chart in ("chart-confusion", "chart-per-category", "chart-latency", "chart-cost", "chart-failures"):
        assert f'id="{chart}"' in text, chart
    assert text.count("Plotly.newPlot") == 5 and '"type":"heatmap"' in text
    assert "<script src=" not in text  # plotly.js is inline: the file opens offline
    assert "&lt;b&gt;캔&lt;/b&gt;" in text and "<b>캔</b>" not in text  # answers are escaped
