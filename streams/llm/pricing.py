"""Estimated cost of model calls from a configurable price table.

Prices are USD per 1M tokens, split into uncached input, cached input and output.
``input_tokens`` as reported by the API *includes* the cached ones, so the cost is
``(input - cached) * input + cached * cached_input + output * output``.

Override or extend the defaults with ``BUNRI_PRICES``: either inline JSON or the path of a
JSON file, shaped ``{"gpt-5": {"input": 1.25, "cached_input": 0.125, "output": 10.0}}``.
A model without a price costs 0 and is logged once, so a missing entry is visible but never
fails a query.

Example:
    prices = load_prices()               # defaults + BUNRI_PRICES
    prices.cost("gpt-4o-mini", TokenUsage(1000, 0, 200))
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.contracts import ModelUsage
from streams.llm.base import ChatResult, TokenUsage

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable", "load_prices"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float


#: OpenAI list prices (USD / 1M tokens: input, cached input, output) as we last knew them.
#: They change: check https://openai.com/api/pricing before relying on cost figures, and
#: override with BUNRI_PRICES rather than editing code.
DEFAULT_PRICES: Mapping[str, Price] = {
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
}

# Dated snapshots (gpt-4o-mini-2024-07-18, gpt-5-2025-08-07) cost what their family costs;
# anything else (gpt-5-nano) is a different model and must not inherit gpt-5's price.
_SNAPSHOT = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")


class PriceTable:
    """Model name -> :class:`Price`, with dated snapshots mapped to their family."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)
        self._warned: set[str] = set()

    def price(self, model: str) -> Price | None:
        """The price of ``model`` (a ``provider/`` prefix and a date suffix are ignored)."""
        name = model.rsplit("/", 1)[-1]
        if name in self._prices:
            return self._prices[name]
        snap = _SNAPSHOT.match(name)
        return self._prices.get(snap.group("base")) if snap else None

    def cost(self, model: str, usage: TokenUsage) -> float:
        """Estimated USD of ``usage`` on ``model`` (0 for an unknown model)."""
        price = self.price(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                logger.warning("no price for model %r: its cost is counted as 0 (set BUNRI_PRICES)", model)
            return 0.0
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        total = (
            (usage.input_tokens - cached) * price.input
            + cached * price.cached_input
            + usage.output_tokens * price.output
        )
        return round(total / 1_000_000, 8)

    def model_usage(self, stage: str, result: ChatResult) -> ModelUsage:
        """One :class:`~streams.contracts.ModelUsage` for one call."""
        u = result.usage
        return ModelUsage(
            stage=stage, model=result.model, calls=1, input_tokens=u.input_tokens,
            cached_input_tokens=u.cached_input_tokens, output_tokens=u.output_tokens,
            cost_usd=self.cost(result.model, u),
        )


def load_prices(source: str | None = None) -> PriceTable:
    """The default table, overridden by ``source`` (inline JSON or a file path).

    Args:
        source: JSON text or a path; ``None`` reads ``BUNRI_PRICES`` from the environment.

    Raises:
        ValueError: the override is not a JSON object of ``{model: {input, cached_input, output}}``.
    """
    raw = os.environ.get("BUNRI_PRICES") if source is None else source
    prices = dict(DEFAULT_PRICES)
    if not raw or not raw.strip():
        return PriceTable(prices)
    text = raw if raw.lstrip().startswith("{") else Path(raw).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        for model, entry in data.items():
            cached = entry.get("cached_input", entry["input"])
            prices[model] = Price(float(entry["input"]), float(cached), float(entry["output"]))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"BUNRI_PRICES is not a valid price table: {exc}") from exc
    return PriceTable(prices)
