"""The metrics the code exposes, docs/operations.md lists and the Grafana dashboard queries are the same set."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import streams.observability.worker  # noqa: F401  (registers the consumer-lag collector)

ROOT = Path(__file__).resolve().parents[3]
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}


def families() -> dict[str, str]:
    """bunri family name -> its type."""
    return {f.name: f.type for f in REGISTRY.collect() if f.name.startswith("bunri_")}


def exposed() -> dict[str, set[str]]:
    """Family name -> the sample names Prometheus stores for it."""
    return {name: {name + s for s in SUFFIXES[kind]} for name, kind in families().items()}


def test_operations_doc_lists_every_metric_and_no_other() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(bunri_[a-z_]+)`", doc, flags=re.MULTILINE))
    # as queried: counters with _total, histograms and gauges by their family name
    expected = {name + ("_total" if kind == "counter" else "") for name, kind in families().items()}
    assert listed == expected, (f"missing from docs/operations.md: {sorted(expected - listed)}; "
                                f"documented but not exposed: {sorted(listed - expected)}")


def test_the_dashboard_queries_only_metrics_that_exist() -> None:
    dashboard = json.loads((ROOT / "helm" / "bunri" / "dashboards" / "bunri.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for e in exprs for name in re.findall(r"\bbunri_[a-z_]+", e)}
    samples = set().union(*exposed().values())
    assert used and used <= samples, sorted(used - samples)
    # and every family is on the dashboard, except the per-stage output kinds (a debugging aid)
    families = {f for f, names in exposed().items() if names & used}
    assert set(exposed()) - families <= {"bunri_stage_outputs"}, sorted(set(exposed()) - families)
