"""Prompt variants and prompt versions: each model stage's prompt, named and hashed.

A *variant* is a named addition to a stage's system prompt (``BUNRI_GPT5__PROMPT_VARIANT``,
``BUNRI_GPT4O__PROMPT_VARIANT``), so that ``bunri replay`` and ``bunri eval`` can compare prompts
without a code change. ``default`` adds nothing: the default prompt, and every cache key built from
it, is exactly what it was before variants existed.

A *prompt version* says which prompt produced a reply: ``label@hash``, where the label is the
human one (``gpt5-v1``, plus ``+variant`` when not default) and the hash is the first 10 hex
digits of sha256 over the system prompt text and the output schema. Replies carry it in
``prompts`` (stamped by the binding), and evaluations group by it.

Example:
    system = with_variant(SYSTEM, "gpt4o", settings.prompt_variant)
    version = prompt_version("gpt4o", "concise", catalog)  # 'gpt4o-v1+concise@3f9c0a1b2d'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["VARIANTS", "UnknownPromptVariant", "check_variant", "prompt_version", "variant_tag", "with_variant"]

#: stage -> variant -> text appended to the stage's system prompt.
VARIANTS: dict[str, dict[str, str]] = {
    "gpt5": {
        "default": "",
        "careful": "\nAdditional rule: when the photo could show two different catalogue items, or the item "
                   "is partly hidden, give a confidence below 0.7 and ask in clarification_question which "
                   "one it is.",
    },
    "gpt4o": {
        "default": "",
        "concise": "\n6. Be brief: at most 3 short sentences per item (its category, where it goes, and the "
                   "one step that matters most).",
        "checklist": "\n6. Write each item's steps as a numbered checklist, one step per line.",
    },
}


class UnknownPromptVariant(ValueError):
    """A prompt variant that :data:`VARIANTS` does not define for the stage."""


def check_variant(stage: str, name: str) -> str:
    """``name`` if the stage defines it; :class:`UnknownPromptVariant` (listing the choices) if not."""
    known = VARIANTS.get(stage, {})
    if name not in known:
        raise UnknownPromptVariant(f"unknown prompt variant {name!r} for stage {stage}; "
                                   f"choose from {', '.join(sorted(known))}")
    return name


def with_variant(system: str, stage: str, name: str) -> str:
    """The system prompt with the variant's addition."""
    return system + VARIANTS[stage][check_variant(stage, name)]


def variant_tag(base: str, name: str) -> str:
    """``base`` for the default variant, else ``base+name`` (labels and cache keys)."""
    return base if name == "default" else f"{base}+{name}"


def prompt_version(stage: str, variant: str, catalog: Any) -> str:
    """``label@hash`` of the stage's prompt as configured (``catalog``: the gpt5 prompt lists it)."""
    from streams.llm.schema import strict_json_schema
    from streams.stages import gpt4o_prompt, gpt5_prompt

    schema: dict[str, Any] | None
    if stage == "gpt5":
        label = gpt5_prompt.PROMPT_VERSION
        system = gpt5_prompt.system_prompt(gpt5_prompt.catalogue_listing(catalog))
        schema = strict_json_schema(gpt5_prompt.VisionOutput)
    elif stage == "gpt4o":
        label, system, schema = gpt4o_prompt.PROMPT_VERSION, gpt4o_prompt.SYSTEM, None
    else:
        raise ValueError(f"stage {stage} has no model prompt")
    text = with_variant(system, stage, variant) + "\n" + json.dumps(schema, sort_keys=True, ensure_ascii=False)
    return f"{variant_tag(label, variant)}@{hashlib.sha256(text.encode()).hexdigest()[:10]}"
