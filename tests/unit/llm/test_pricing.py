"""Cost arithmetic, price lookup and the BUNRI_PRICES override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.contracts import Usage
from streams.llm.base import ChatResult, TokenUsage
from streams.llm.pricing import Price, PriceTable, load_prices


def test_cost_splits_cached_input() -> None:
    table = PriceTable({"gpt-5": Price(1.25, 0.125, 10.0)})
    # 1000 uncached * 1.25 + 1000 cached * 0.125 + 500 output * 10 = 1250 + 125 + 5000 = 6375 per 1M
    assert table.cost("gpt-5", TokenUsage(2000, 1000, 500)) == pytest.approx(0.006375)


def test_snapshots_and_provider_prefix_use_the_family_price() -> None:
    table = load_prices("")
    assert table.price("gpt-4o-mini-2024-07-18") == table.price("gpt-4o-mini")
    assert table.price("openai/gpt-5-2025-08-07") == table.price("gpt-5")
    assert table.price("gpt-5-nano") is None  # a different model, not gpt-5


def test_unknown_model_costs_zero() -> None:
    assert load_prices("").cost("llama3:8b", TokenUsage(100, 0, 100)) == 0.0


def test_override_inline_json_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inline = load_prices('{"llama3": {"input": 0.1, "output": 0.2}}')
    assert inline.price("llama3") == Price(0.1, 0.1, 0.2)
    assert inline.price("gpt-5") is not None  # defaults kept
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"gpt-5": {"input": 2, "cached_input": 0.2, "output": 20}}))
    monkeypatch.setenv("BUNRI_PRICES", str(path))
    assert load_prices().price("gpt-5") == Price(2, 0.2, 20)


def test_invalid_override_is_refused() -> None:
    with pytest.raises(ValueError, match="BUNRI_PRICES"):
        load_prices('{"gpt-5": {"input": 1}}')


def test_model_usage_and_usage_sum() -> None:
    table = load_prices("")
    a = table.model_usage("gpt5", ChatResult("{}", "gpt-5", TokenUsage(3000, 2048, 400)))
    b = table.model_usage("gpt4o", ChatResult("ok", "gpt-4o-mini", TokenUsage(1000, 0, 200)))
    assert (a.stage, a.model, a.calls) == ("gpt5", "gpt-5", 1)
    # gpt-5: 952*1.25 + 2048*0.125 + 400*10 = 1190 + 256 + 4000 = 5446 -> $0.005446
    assert a.cost_usd == pytest.approx(0.005446)
    # gpt-4o-mini: 1000*0.15 + 200*0.6 = 270 -> $0.00027
    assert b.cost_usd == pytest.approx(0.00027)
    total = Usage().add(a).add(b)
    assert total.input_tokens == 4000 and total.cached_input_tokens == 2048 and total.output_tokens == 600
    assert total.cost_usd == pytest.approx(0.005716) and len(total.calls) == 2
