"""Category accuracy of the offline path on the content writers' labelled questions.

The questions are a test set: the resolver is improved in code, never by editing these files.
``bench/eval_labelled.py`` prints the same table plus every misclassified question.
"""

from __future__ import annotations

import pytest

from streams.rules import RulesCatalog
from streams.rules.evaluate import evaluate, load_labelled
from tests.unit.rules.conftest import LABELLED_DIR

MIN_ACCURACY = 0.97


def test_offline_category_accuracy(catalog: RulesCatalog, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load_labelled(LABELLED_DIR)
    assert len(cases) >= 400, f"the labelled set has only {len(cases)} questions (at least 400 expected)"
    report = evaluate(catalog, cases)
    with capsys.disabled():
        print(f"\n{report.table()}")  # noqa: T201  (the per-category breakdown is the point of this test)
    wrong = "\n".join(f"{o.case.id} {o.case.question!r}: expected {o.case.accepted}, got {o.category}"
                      for o in report.wrong())
    assert report.accuracy >= MIN_ACCURACY, f"accuracy {report.accuracy:.1%} < {MIN_ACCURACY:.0%}:\n{wrong}"


def test_labelled_rows_are_well_formed(catalog: RulesCatalog) -> None:
    from streams.contracts import OFFICIAL_CATEGORIES

    cases = load_labelled(LABELLED_DIR)
    assert len({c.id for c in cases}) == len(cases), "duplicate ids"
    for c in cases:
        assert (c.accepted or c.needs_clarification) and set(c.accepted) <= set(OFFICIAL_CATEGORIES), c
        assert c.item_id is None or c.item_id in catalog, f"{c.id}: unknown item_id {c.item_id}"


def test_confidence_means_something(catalog: RulesCatalog) -> None:
    """Answers given at confidence ≥ 0.9 are right ≥ 97 % of the time, and none wrong at 1.0 is an item guess."""
    from streams.rules.evaluate import reliability

    report = evaluate(catalog, load_labelled(LABELLED_DIR))
    high = next(row for row in reliability(report.outcomes) if row[0] == "≥ 0.90")
    assert high[1] >= 400 and high[2] >= 0.97, high
    assert report.needless_rate <= 0.02, f"needless clarifications {report.needless_rate:.1%}"
