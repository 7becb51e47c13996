"""Every bunri Prometheus metric, declared once (prometheus-client's default registry).

A process exposes what it records: the gateway its HTTP and feedback families, a worker its stage
families and its consumer lag; ``bunri serve`` (one process) all of them. docs/operations.md lists each
metric with what a healthy value looks like.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel

from streams import contracts as c

__all__ = ["CONTENT_TYPE_LATEST", "exposition", "record_outputs", "track_binding"]

# The *_created series double every counter's lines and no dashboard here uses them.
disable_created_metrics()

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_STAGE = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# ---- gateway
HTTP_REQUESTS = Counter("bunri_http_requests", "HTTP requests by route template, method and status.",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("bunri_http_request_duration_seconds",
                         "HTTP request latency (until the response is complete) by route and method.",
                         ["route", "method"], buckets=_LATENCY)
SSE_STREAMS = Gauge("bunri_sse_streams", "Open progress streams (GET /v1/queries/{id}/events).")
FEEDBACK = Counter("bunri_feedback", "Feedback accepted by the gateway, by helpful and corrected.",
                   ["helpful", "corrected"])

# ---- stage workers
STAGE_SECONDS = Histogram("bunri_stage_processing_seconds",
                          "Time a stage spent on one message (decode, handler, retries), by stage.",
                          ["stage"], buckets=_STAGE)
STAGE_IN_FLIGHT = Gauge("bunri_stage_in_flight", "Messages a stage is working on now.", ["stage"])
STAGE_OUTPUTS = Counter("bunri_stage_outputs", "Records a stage produced, by stage and kind "
                        "(next, answer, failure, dead_letter, event).", ["stage", "kind"])
DEAD_LETTERS = Counter("bunri_dead_letters", "Dead letters by stage and reason.", ["stage", "reason"])
FAILURES = Counter("bunri_failures", "Failure replies by stage and reason.", ["stage", "reason"])
ANSWERS = Counter("bunri_answers", "Answers sent, by the stage that sent them.", ["stage"])
DEGRADED = Counter("bunri_degraded_answers", "Answers marked degraded (a model failed, a fallback answered).",
                   ["stage"])
CLARIFICATIONS = Counter("bunri_clarifications", "Answers that ask the user which item it is.", ["stage"])
CACHE_HITS = Counter("bunri_cache_hits", "Cache hits: answer (preprocess) or analysis (gpt5).", ["cache"])
MODEL_CALLS = Counter("bunri_model_calls", "Model calls by stage and model.", ["stage", "model"])
MODEL_TOKENS = Counter("bunri_model_tokens", "Model tokens by stage, model and kind (input, cached_input, output).",
                       ["stage", "model", "kind"])
MODEL_COST = Counter("bunri_model_cost_usd", "Estimated model cost in USD (list prices), by stage and model.",
                     ["stage", "model"])


def record_outputs(stage: str, decoded: Iterable[tuple[Any, BaseModel | None]]) -> None:
    """Count what one message made ``stage`` produce (records already read back as contracts)."""
    for record, model in decoded:
        kind = {"reply": "answer" if isinstance(model, c.Answer) else "failure",
                "dead_letter": "dead_letter", "events": "event"}.get(record.topic, "next")
        STAGE_OUTPUTS.labels(stage, kind).inc()
        if isinstance(model, c.DeadLetter):
            DEAD_LETTERS.labels(stage, model.reason).inc()
        elif isinstance(model, c.Failure):
            FAILURES.labels(stage, model.reason).inc()
        elif isinstance(model, c.Answer):
            _answer(stage, model)
        elif isinstance(model, c.AnalysedQuery) and model.analysis.method == "cache":
            CACHE_HITS.labels("analysis").inc()
        usage = getattr(model, "usage", None)
        if isinstance(usage, c.Usage):
            _usage(stage, usage)


def _answer(stage: str, answer: c.Answer) -> None:
    ANSWERS.labels(stage).inc()
    if answer.degraded:
        DEGRADED.labels(stage).inc()
    if answer.needs_clarification:
        CLARIFICATIONS.labels(stage).inc()
    if answer.cache_hit:
        CACHE_HITS.labels("answer").inc()


def _usage(stage: str, usage: c.Usage) -> None:
    # Usage accumulates along the pipeline: this stage's own calls are the ones it labelled with its name.
    for call in usage.calls:
        if call.stage != stage:
            continue
        MODEL_CALLS.labels(stage, call.model).inc(call.calls)
        for kind in ("input", "cached_input", "output"):
            MODEL_TOKENS.labels(stage, call.model, kind).inc(getattr(call, f"{kind}_tokens"))
        MODEL_COST.labels(stage, call.model).inc(call.cost_usd)


class _BindingStats(Collector):
    """``bunri_stage_retries_total`` from the bindings' own counters (read at scrape time)."""

    def __init__(self) -> None:
        # by id: a StageBinding is a dataclass, so not hashable; held weakly, so a stopped app's go away
        self._bindings: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

    def track(self, binding: Any) -> None:
        self._bindings.setdefault(id(binding), binding)

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("bunri_stage_retries", "Transient errors a stage retried (with backoff, "
                                     "inside the deadline), by stage.", labels=["stage"])
        totals: dict[str, int] = {}
        for binding in list(self._bindings.values()):
            totals[binding.name] = totals.get(binding.name, 0) + int(binding.stats.get("retried", 0))
        for stage, total in sorted(totals.items()):
            family.add_metric([stage], total)
        yield family


_BINDINGS = _BindingStats()
REGISTRY.register(_BINDINGS)


def track_binding(binding: Any) -> None:
    """Report this binding's retry count (idempotent; the binding is held weakly)."""
    _BINDINGS.track(binding)


def exposition() -> bytes:
    """The default registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
