"""The chart's memory limits hold the peaks measured under load (docs/performance.md, "Recorded peaks").

The table there is the record: one row per process of a stage's pod, its peak under 20 photo queries/s
(``bench/load.py``, ``bench/memwatch.py``). A stage's pod must hold the sum of its processes' peaks; the
preprocess pod's image pool grows with ``preprocess.poolWorkers``, so its row is per pool worker (the pool's
processes' PSS, fork server included, divided by the pool size it was measured with). A limit below the
record fails here, before a pod is OOM-killed in production.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import yaml

from tests.helm.conftest import CHART, REPO
from tests.helm.test_chart import STAGES, container, deployments, quantity

PERFORMANCE = REPO / "docs" / "performance.md"
#: The marker line right above the table (the table's format is described next to it in the doc).
MARKER = "<!-- peak-memory: read by tests/helm/test_chart_memory.py -->"
POOL_ROW = "preprocess image pool, per pool worker"
MIB = Decimal(2**20)


def recorded_peaks(text: str) -> dict[str, Decimal]:
    """``process -> peak MiB`` from the table under :data:`MARKER` (``| process | peak (MiB) | ... |``)."""
    assert MARKER in text, f"{PERFORMANCE.name} has no peak-memory table (the line {MARKER!r} and a table under it)"
    rows: dict[str, Decimal] = {}
    for line in text.split(MARKER, 1)[1].lstrip().splitlines():
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"\d+(\.\d+)?", cells[1]):
            rows[cells[0]] = Decimal(cells[1])
    return rows


def pod_need_mib(stage: str, peaks: dict[str, Decimal], values: dict[str, Any]) -> Decimal:
    """What a stage's pod must hold: the worker's peak, plus for preprocess its image pool."""
    need = peaks[stage]
    if stage == "preprocess" and values["preprocess"]["pool"] == "process":
        need += values["preprocess"]["poolWorkers"] * peaks[POOL_ROW]  # its share of the fork server included
    return need


def shortfalls(render: Any, values: dict[str, Any], peaks: dict[str, Decimal]) -> list[str]:
    """Every stage whose pod's memory limit is below what its processes peaked at."""
    deps = deployments(render)
    short = []
    for stage in STAGES:
        limit = quantity(container(deps[stage])["resources"]["limits"]["memory"]) / MIB
        need = pod_need_mib(stage, peaks, values)
        if limit < need:
            short.append(f"{stage}: limit {limit} MiB < recorded peak {need} MiB")
    return short


def chart_values(values_file: str = "") -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    if values_file:
        override = yaml.safe_load((CHART / values_file).read_text()) or {}
        values["preprocess"] = {**values["preprocess"], **override.get("preprocess", {})}
    return values


@pytest.fixture(scope="module")
def peaks() -> dict[str, Decimal]:
    return recorded_peaks(PERFORMANCE.read_text())


def test_every_stage_has_a_recorded_peak(peaks: dict[str, Decimal]) -> None:
    assert {*STAGES, POOL_ROW} <= peaks.keys(), f"rows in {PERFORMANCE.name}: {sorted(peaks)}"


@pytest.mark.parametrize("values_file", ["", "ci/production-values.yaml"], indirect=True)
def test_no_memory_limit_is_below_the_recorded_peak(render: Any, values_file: str,
                                                    peaks: dict[str, Decimal]) -> None:
    short = shortfalls(render, chart_values(values_file), peaks)
    assert not short, "; ".join(short)


def test_a_limit_below_the_record_or_a_bigger_pool_is_caught(helm: Any, peaks: dict[str, Decimal]) -> None:
    values = chart_values()
    below = int(pod_need_mib("gpt5", peaks, values)) - 1
    render = helm.template(sets=(f"stages.gpt5.resources.limits.memory={below}Mi",
                                 f"stages.gpt5.resources.requests.memory={below}Mi"))
    assert [s.split(":")[0] for s in shortfalls(render, values, peaks)] == ["gpt5"]
    pool = values["preprocess"]["poolWorkers"] + 4
    more = {**values, "preprocess": {**values["preprocess"], "poolWorkers": pool}}
    render = helm.template(sets=(f"preprocess.poolWorkers={pool}",))
    assert [s.split(":")[0] for s in shortfalls(render, more, peaks)] == ["preprocess"]


def test_the_table_is_read_as_written() -> None:
    text = (f"intro\n{MARKER}\n| process | peak (MiB) | note |\n|---|---|---|\n| gpt5 | 412 | x |\n"
            f"| {POOL_ROW} | 61.5 | |\n\nafter | 9 |\n")
    assert recorded_peaks(text) == {"gpt5": Decimal(412), POOL_ROW: Decimal("61.5")}
