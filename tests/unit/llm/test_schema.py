"""Strict JSON schemas: every object closed, every property required, no defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from streams.llm.schema import strict_json_schema
from streams.stages.gpt5_prompt import VisionOutput


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def _assert_strict(schema: dict[str, Any]) -> None:
    objects = _objects(schema)
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj.get("properties", {}))
    text = repr(schema)
    assert "'default'" not in text


def test_vision_output_schema_is_strict_as_written() -> None:
    # The LLM-facing model is designed strict: the tightening must not need to change anything.
    raw = VisionOutput.model_json_schema()
    _assert_strict(raw)
    assert strict_json_schema(VisionOutput) == raw


class Inner(BaseModel):
    a: int = 1


class Loose(BaseModel):
    inner: Inner = Field(default_factory=Inner, description="described ref")
    note: str | None = None


def test_loose_model_is_tightened() -> None:
    schema = strict_json_schema(Loose)
    _assert_strict(schema)
    inner = schema["properties"]["inner"]
    assert "$ref" not in inner and inner["properties"]["a"]["type"] == "integer"
    assert Loose.model_json_schema()["properties"]["note"].get("default", "x") is None  # original untouched


def test_seen_state_mirrors_item_state() -> None:
    # The model reports states with the same keys and values the rules' conditions use.
    from streams.contracts import ItemState
    from streams.stages.gpt5_prompt import SeenState

    assert list(SeenState.model_fields) == list(ItemState.model_fields)
    for name, field in SeenState.model_fields.items():
        assert field.annotation == ItemState.model_fields[name].annotation, name
