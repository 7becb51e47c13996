"""``bunri eval``: load a run (and labels, and a run to compare against), compute, and present the result.

The result is one dict: ``{"generated_at", "labels", "run": {"name", "manifest", "metrics"},
"against": {...} | null, "comparison": {...} | null}`` (metrics: :func:`streams.eval.metrics.summarize`,
comparison: :func:`streams.eval.metrics.compare`). ``--json`` prints it without the raw per-query
series (``values``), which only the HTML report draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streams import contracts as c
from streams.eval.metrics import compare, summarize
from streams.eval.runs import find_run, load_labels, load_results, read_manifest
from streams.settings import Settings

__all__ = ["evaluate_run", "for_json", "as_text"]


def evaluate_run(settings: Settings, run: str, *, labels: Path | None = None,
                 against: str | None = None) -> dict[str, Any]:
    """The evaluation of run ``run`` (a name under the data dir, or a path), optionally vs labels and a run.

    Raises:
        RunNotFound, LabelsError: a run or the labelled set cannot be read.
    """
    labelled = load_labels(labels) if labels is not None else None
    mine = find_run(settings, run)
    lines = load_results(mine)
    result: dict[str, Any] = {
        "generated_at": c.utcnow().isoformat(timespec="seconds"),
        "labels": str(labels) if labels is not None else None,
        "run": {"name": mine.name, "manifest": read_manifest(mine), "metrics": summarize(lines, labels=labelled)},
        "against": None,
        "comparison": None,
    }
    if against is not None:
        theirs = find_run(settings, against)
        other = load_results(theirs)
        result["against"] = {"name": theirs.name, "manifest": read_manifest(theirs),
                             "metrics": summarize(other, labels=labelled)}
        result["comparison"] = compare(lines, other)
    return result


def for_json(value: Any) -> Any:
    """``value`` without the per-query series (``values`` lists): what ``--json`` prints."""
    if isinstance(value, dict):
        return {k: for_json(v) for k, v in value.items() if k != "values"}
    if isinstance(value, list):
        return [for_json(v) for v in value]
    return value


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def as_text(result: dict[str, Any]) -> str:
    """A short plain-text summary for the terminal."""
    out = []
    for part in ("run", "against"):
        data = result.get(part)
        if not data:
            continue
        m = data["metrics"]
        out.append(f"{part} {data['name']}: {m['queries']} queries, {m['answers']} answers, {m['failures']} failures, "
                   f"{m['skipped']} skipped")
        for conf in m["configurations"][:3]:
            shown = {k: v for k, v in conf.items() if k != "queries"}
            out.append(f"  {conf['queries']:>5} × {shown}")
        lab = m.get("labelled")
        if lab:
            out.append(f"  category agreement {_pct(lab['category_agreement'])} ({lab['category_agreed']}/"
                       f"{lab['queries']}), item agreement {_pct(lab['item_agreement'])} "
                       f"({lab['item_agreed']}/{lab['item_labelled']})")
            for cat, row in lab["per_category"].items():
                out.append(f"    {cat:<14} {row['agreed']:>4}/{row['queries']:<4} {_pct(row['agreement'])}")
            for cls, row in lab["per_class"].items():
                out.append(f"    class {cls:<14} {row['agreed']:>4}/{row['queries']:<4} {_pct(row['agreement'])}")
            out.append(f"  needless clarifications {_pct(lab['needless_clarification_rate'])}")
        out.append(f"  clarification {_pct(m['clarification_rate'])}, degraded {_pct(m['degraded_rate'])}, "
                   f"failures {_pct(m['failure_rate'])} {m['failures_by_reason'] or ''}")
        cost = m["cost_usd"]
        per = "-" if cost["per_query"] is None else f"{cost['per_query']:.6f}"
        out.append(f"  cost {cost['total']:.4f} USD total, {per} per query")
        lat = ", ".join(f"{k} {v['p50']}/{v['p95']}" for k, v in m["latency_ms"].items())
        out.append(f"  latency p50/p95 ms: {lat}")
    comp = result.get("comparison")
    if comp:
        out.append(f"changed vs {result['against']['name']}: {comp['category_changed']} categories, "
                   f"{comp['answer_changed']} answers of {comp['compared']} compared")
        for ch in comp["changed"][:20]:
            out.append(f"  {ch['id']}: {ch['category']['against']} -> {ch['category']['run']}  {ch.get('question')}")
    return "\n".join(out)
