"""Strict JSON schemas for structured outputs.

OpenAI's ``strict: true`` mode (and vLLM/Ollama's guided decoding, which accept the same
``response_format``) wants every object closed (``additionalProperties: false``), every
property listed in ``required`` (optional values are expressed as nullable), no ``default``
and no ``$ref`` with sibling keywords. Output models should already be written that way
(see ``streams.stages.gpt5.VisionOutput``); this function enforces it for any model so a
slip shows up as a valid-but-stricter schema rather than a 400 from the provider.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic import BaseModel

__all__ = ["strict_json_schema"]


@functools.cache
def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, tightened for strict structured outputs.

    Built once per model (a class's schema never changes): generating and tightening it on every
    model call was ~5 % of the gpt5 worker's CPU. The dict is shared: read it, never mutate it.

    Args:
        model: The pydantic model the output must validate against.

    Returns:
        The schema dict; the model's own cached schema is not mutated.
    """
    schema = copy.deepcopy(model.model_json_schema())
    return _tighten(schema, schema)


def _tighten(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_tighten(n, root) for n in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        # Strict mode rejects {"$ref": ..., "description": ...}: inline the target instead.
        target = _resolve(root, ref)
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    node.pop("default", None)
    for key in ("$defs", "properties"):
        if isinstance(node.get(key), dict):
            node[key] = {k: _tighten(v, root) for k, v in node[key].items()}
    for key in ("items", "anyOf", "allOf", "oneOf"):
        if key in node:
            node[key] = _tighten(node[key], root)
    if node.get("type") == "object":
        node["additionalProperties"] = False
        node["required"] = list(node.get("properties", {}))
    return node


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    target: Any = root
    for key in ref[2:].split("/"):
        target = target[key]
    return copy.deepcopy(target)
