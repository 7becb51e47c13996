"""The numbers of a run: agreement with labels, confusion, rates, failures, cost, latency, and changes.

Pure functions over the lines of a run's ``results.jsonl`` (:mod:`streams.eval.runs`). Conventions:

- the *category* of a reply is its primary item's official category (``items[0]``, which also covers
  category-only guidance); a clarification counts as ``(clarification)``, a Failure as ``(failure)``;
- a query *agrees* with its label when its category is one of the label's accepted categories, or, for a
  question labelled ``needs_clarification`` (too vague to answer), when it asked back; in the confusion
  matrix such an answer sits on the diagonal of the label's first category (rows: expected, columns:
  answered); a *needless* clarification is one asked of a question that names its item;
- rates (clarification, degraded, failure) are over the queries that got a reply; skipped queries (their
  photo was swept, their line was unreadable) are counted apart;
- latency is per stage from the replies' ``timings_ms`` and end to end from ``total`` (measured by the
  replay from sending to the reply), over answers; cost is ``usage.cost_usd``.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from streams.contracts import OFFICIAL_CATEGORIES
from streams.eval.runs import Label, Labels

__all__ = ["CLARIFICATION", "FAILURE", "NONE", "category_of", "compare", "percentile", "summarize"]

CLARIFICATION, FAILURE, NONE = "(clarification)", "(failure)", "(none)"
_STAGE_ORDER = ("preprocess", "gpt5", "rag", "gpt4o")


def category_of(reply: dict[str, Any]) -> str:
    """The category a reply gave (see the module docstring)."""
    if reply.get("kind") == "failure":
        return FAILURE
    if reply.get("needs_clarification"):
        return CLARIFICATION
    items = reply.get("items") or []
    category = items[0].get("official_category") if items else (reply.get("item") or {}).get("official_category")
    return category or NONE


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between closest ranks; None for no values."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(data[lo] + (data[hi] - data[lo]) * (pos - lo), 2)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _label_of(line: dict[str, Any], labels: Labels | None) -> Label | None:
    if labels is not None:
        return labels.find(line.get("id"), line.get("question"))
    own = line.get("label")
    if not own:
        return None
    try:
        return Label.from_row({**own, "question": line.get("question")}, ref=str(line.get("id")))
    except (ValueError, KeyError, TypeError):
        return None  # an unusable label is no label


def summarize(lines: list[dict[str, Any]], *, labels: Labels | None = None) -> dict[str, Any]:
    """Every metric of one run."""
    replied = [ln for ln in lines if ln.get("reply")]
    answers = [ln["reply"] for ln in replied if ln["reply"]["kind"] == "answer"]
    failures = [ln["reply"] for ln in replied if ln["reply"]["kind"] == "failure"]
    skipped = Counter(str(ln["skipped"]).split(":", 1)[0] for ln in lines if ln.get("skipped"))
    costs = [float(a.get("usage", {}).get("cost_usd", 0.0)) for a in answers]
    return {
        "queries": len(lines),
        "replied": len(replied),
        "answers": len(answers),
        "failures": len(failures),
        "skipped": sum(skipped.values()),
        "skipped_by_reason": dict(skipped.most_common()),
        "configurations": _configurations(replied),
        "labelled": _agreement(replied, labels),
        "clarification_rate": _rate(sum(bool(a.get("needs_clarification")) for a in answers), len(replied)),
        "degraded_rate": _rate(sum(bool(a.get("degraded")) for a in answers), len(replied)),
        "failure_rate": _rate(len(failures), len(replied)),
        "failures_by_reason": dict(Counter(f["reason"] for f in failures).most_common()),
        "cost_usd": {
            "total": round(sum(costs), 6),
            "per_query": round(sum(costs) / len(replied), 8) if replied else None,
            "by_model": _cost_by_model(answers),
            "values": [round(x, 8) for x in costs],
        },
        "latency_ms": _latency(answers),
    }


def _configurations(replied: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What produced the replies, grouped: models and prompts per stage, rules and bunri versions."""
    groups: Counter[str] = Counter()
    for ln in replied:
        r = ln["reply"]
        key = {"provider": r.get("provider", {}), "prompts": r.get("prompts", {}),
               "rules_version": r.get("rules_version"), "bunri_version": r.get("bunri_version")}
        if r["kind"] == "failure":
            key = {"failure_stage": r.get("stage"), "bunri_version": r.get("bunri_version")}
        groups[json.dumps(key, sort_keys=True, ensure_ascii=False)] += 1
    return [{**json.loads(k), "queries": n} for k, n in groups.most_common()]


def _agreement(replied: list[dict[str, Any]], labels: Labels | None) -> dict[str, Any] | None:
    pairs = [(lab, ln["reply"]) for ln in replied if (lab := _label_of(ln, labels)) is not None]
    if not pairs:
        return None
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    classes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cells: Counter[tuple[str, str]] = Counter()
    items = [0, 0]
    needless = 0
    for lab, reply in pairs:
        got = category_of(reply)
        expected = CLARIFICATION if lab.needs_clarification else lab.accepted[0]
        ok = got == CLARIFICATION if lab.needs_clarification else got in lab.accepted
        needless += got == CLARIFICATION and not lab.needs_clarification
        per[expected][0] += ok
        per[expected][1] += 1
        if lab.cls:
            classes[lab.cls][0] += ok
            classes[lab.cls][1] += 1
        cells[(expected, expected if ok else got)] += 1
        if lab.item_id:
            items[1] += 1
            items[0] += (reply.get("item") or {}).get("item_id") == lab.item_id
    agreed = sum(v[0] for v in per.values())
    return {
        "queries": len(pairs),
        "category_agreed": agreed,
        "category_agreement": _rate(agreed, len(pairs)),
        "per_category": {k: {"queries": v[1], "agreed": v[0], "agreement": _rate(v[0], v[1])}
                         for k, v in sorted(per.items(), key=lambda kv: (-kv[1][1], kv[0]))},
        "per_class": {k: {"queries": v[1], "agreed": v[0], "agreement": _rate(v[0], v[1])}
                      for k, v in sorted(classes.items())},
        "needless_clarification_rate": _rate(needless, sum(not lab.needs_clarification for lab, _ in pairs)),
        "confusion": _confusion(cells),
        "item_labelled": items[1],
        "item_agreed": items[0],
        "item_agreement": _rate(items[0], items[1]),
    }


def _order(names: Iterable[str]) -> list[str]:
    known = {name: i for i, name in enumerate((*OFFICIAL_CATEGORIES, CLARIFICATION, NONE, FAILURE))}
    return sorted(set(names), key=lambda n: (known.get(n, len(known)), n))


def _confusion(cells: Counter[tuple[str, str]]) -> dict[str, Any]:
    rows = _order(e for e, _ in cells)
    cols = _order([*rows, *(g for _, g in cells)])
    return {"expected": rows, "answered": cols, "counts": [[cells[(r, col)] for col in cols] for r in rows]}


def _cost_by_model(answers: list[dict[str, Any]]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for a in answers:
        for call in a.get("usage", {}).get("calls", []):
            total[f"{call.get('stage')}:{call.get('model')}"] += float(call.get("cost_usd", 0.0))
    return {k: round(v, 6) for k, v in sorted(total.items())}


def _latency(answers: list[dict[str, Any]]) -> dict[str, Any]:
    series: dict[str, list[float]] = defaultdict(list)
    for a in answers:
        for stage, ms in (a.get("timings_ms") or {}).items():
            series["end_to_end" if stage == "total" else stage].append(float(ms))
    order = [s for s in _STAGE_ORDER if s in series] + sorted(set(series) - {*_STAGE_ORDER, "end_to_end"})
    if "end_to_end" in series:
        order.append("end_to_end")
    return {name: {"n": len(series[name]), "p50": percentile(series[name], 50), "p95": percentile(series[name], 95),
                   "values": [round(v, 2) for v in series[name]]} for name in order}


def compare(lines: list[dict[str, Any]], other: list[dict[str, Any]], *, limit: int = 500) -> dict[str, Any]:
    """Queries of both runs (joined on ``id``) whose category or answer changed, with both answers."""
    theirs = {ln["id"]: ln for ln in other if ln.get("reply")}
    both = [(ln, theirs[ln["id"]]) for ln in lines if ln.get("reply") and ln["id"] in theirs]
    changed: list[dict[str, Any]] = []
    category_changed = answer_changed = 0
    for mine, base in both:
        cat_new, cat_old = category_of(mine["reply"]), category_of(base["reply"])
        ans_new, ans_old = _answer_text(mine["reply"]), _answer_text(base["reply"])
        what = [w for w, differs in (("category", cat_new != cat_old), ("answer", ans_new != ans_old)) if differs]
        category_changed += "category" in what
        answer_changed += "answer" in what
        if what:
            changed.append({"id": mine["id"], "question": mine.get("question"), "changed": what,
                            "category": {"against": cat_old, "run": cat_new},
                            "answer": {"against": ans_old, "run": ans_new}})
    return {
        "compared": len(both),
        "category_changed": category_changed,
        "answer_changed": answer_changed,
        "category_agreement": _rate(len(both) - category_changed, len(both)),
        "only_in_run": sum(1 for ln in lines if ln.get("reply") and ln["id"] not in theirs),
        "changed": changed[:limit],
        "changed_truncated": len(changed) > limit,
    }


def _answer_text(reply: dict[str, Any]) -> str:
    if reply.get("kind") == "failure":
        return f"[{reply.get('reason')}] {reply.get('message', '')}".strip()
    return " ".join(str(reply.get("answer", "")).split())  # whitespace alone is not a change
