"""What the fake OpenAI-compatible server says: valid structured outputs and Korean answers.

Kept apart from the HTTP side (:mod:`streams.fakellm`) so it is plain functions over the
request body. The structured filler is generic (any strict JSON schema gets a valid
instance); hints make our own schemas' values meaningful:

- vision: the catalogue lines ``id|이름|분류`` in the system prompt and the ``<question>``
  block select the items (every catalogue name found in the question, in order; else a
  plausible default);
- answer: the ``<draft>`` the user message carries (the deterministic answer in the shape the prompt asks
  for); without one, the ``품목: … | 분류: …`` lines become one sentence per item, then the rules' steps.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

__all__ = ["answer_text", "fill_schema", "prompt_text", "vision_hints"]

_CATALOGUE_LINE = re.compile(r"^([a-z][a-z0-9_]*)\|([^|\n]+)\|([^|\n]+)$", re.MULTILINE)
_QUESTION = re.compile(r"<question>\s*(.*?)\s*</question>", re.DOTALL)
_ITEM_LINE = re.compile(
    r"품목:\s*([^|\n]+?)\s*\|\s*분류:\s*([^|\n]+?)\s*\|\s*재활용:\s*([^|\n]+?)\s*(?:\||$)", re.MULTILINE
)
_CHANNEL = re.compile(r"배출:\s*([^|\n]+)")
_RULES = re.compile(r"<rules>\s*(.*?)\s*</rules>", re.DOTALL)
_DRAFT = re.compile(r"<draft>\s*(.*?)\s*</draft>", re.DOTALL)


def prompt_text(body: dict[str, Any]) -> tuple[str, str]:
    """(system text, all user text) of a chat request body."""
    system, user = [], []
    for msg in body.get("messages", []):
        content = msg.get("content")
        texts = [content] if isinstance(content, str) else [
            p.get("text", "") for p in content or [] if isinstance(p, dict) and p.get("type") == "text"]
        (system if msg.get("role") in ("system", "developer") else user).extend(t for t in texts if t)
    return "\n".join(system), "\n".join(user)


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def vision_hints(system: str, user: str) -> dict[str, Any]:
    """Hints for the vision schema: catalogue items named in the question, or a default."""
    catalogue = _CATALOGUE_LINE.findall(system)
    match = _QUESTION.search(user)
    question = _key(match.group(1) if match else user)
    found = sorted(((question.find(_key(name)), item_id, name, cat) for item_id, name, cat in catalogue
                    if _key(name) and _key(name) in question), key=lambda t: (t[0], -len(t[2])))
    chosen: list[tuple[str, str, str]] = []
    for _, item_id, name, cat in found:
        if item_id not in {c[0] for c in chosen}:
            chosen.append((item_id, name.strip(), cat.strip()))
    confidence = 0.92
    if not chosen and catalogue:
        # No exact name: read the question with the project's own resolver (aliases, particles,
        # typos), the way a vision model would recognise a 페트병 it was asked about.
        best = _resolver_pick(match.group(1) if match else user, {c[0]: c for c in catalogue})
        if best is not None:
            chosen, confidence = [best], 0.85
    if not chosen and catalogue:
        # No name in the question: a plausible default (a plastic item if there is one).
        default = next((c for c in catalogue if c[2].strip() == "플라스틱류"), catalogue[0])
        chosen, confidence = [(default[0], default[1].strip(), default[2].strip())], 0.6
    items = [{"item_id": i, "name": n, "official_category": c, "waste_category": c, "subcategory": None,
              "description": f"사진 속 {n}", "confidence": confidence} for i, n, c in chosen]
    return {"items": items, "confidence": confidence, "clarification_question": None}


@functools.lru_cache(maxsize=1)
def _catalog() -> Any:
    from streams.rules import RulesCatalog
    from streams.settings import default_rules_dir

    return RulesCatalog.load(default_rules_dir(), warm=False)


def _resolver_pick(question: str, listed: dict[str, tuple[str, str, str]]) -> tuple[str, str, str] | None:
    try:
        found = _catalog().resolve(question).best
    except Exception:  # the fake must answer even without a readable catalogue
        return None
    if found is None or found.item_id not in listed:
        return None
    item_id, name, category = listed[found.item_id]
    return item_id, name.strip(), category.strip()


def answer_text(user: str) -> str:
    """The answer in the shape the prompt asks for: the draft it was given (verdict first, only the steps
    that apply), or, for a prompt without one, a sentence per item naming its category and the rules' steps."""
    draft = _DRAFT.search(user)
    if draft and draft.group(1).strip():
        return draft.group(1).strip()
    lines = []
    for n, (name, category, recyclable) in enumerate(_ITEM_LINE.findall(user), 1):
        sentence = f"{n}. {name.strip()}은(는) {category.strip()}(으)로 배출합니다."
        if recyclable.strip() == "아니오":
            sentence += " 재활용 대상이 아니므로 규칙에 따라 버려 주세요."
        lines.append(sentence)
    channels = _CHANNEL.findall(user)
    if channels:
        lines.append(f"배출 장소: {channels[0].strip()}.")
    rules = _RULES.search(user)
    if rules:
        # The numbered steps of the rules block, without its headers and [rule id] tags.
        steps = [re.sub(r"\s*\[[^\]]+\]", "", ln).strip() for ln in rules.group(1).splitlines()]
        lines += [ln for ln in steps if re.match(r"^(\d+\.|-)\s", ln)][:6]
    return "\n".join(lines) or "분리배출 규칙에 따라 배출해 주세요."


def fill_schema(schema: dict[str, Any], hints: Any = None, *, root: dict[str, Any] | None = None) -> Any:
    """A value valid for ``schema`` (strict subset: object, array, anyOf, enum, scalars, $ref).

    Args:
        schema: The JSON schema node.
        hints: Preferred values: a dict for objects (by property), a list of per-element
            hints for arrays, a scalar for leaves. Invalid hints are ignored.
        root: The document root, for ``$ref`` (defaults to ``schema``).
    """
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        return fill_schema(target, hints, root=root)
    if "anyOf" in schema:
        variants = schema["anyOf"]
        if hints is None and any(v.get("type") == "null" for v in variants):
            return None
        usable = [v for v in variants if v.get("type") != "null"]
        return fill_schema(_pick(usable, hints), hints, root=root)
    if "enum" in schema:
        options = schema["enum"]
        return hints if hints in options else ("unknown" if "unknown" in options else options[0])
    return _fill_typed(schema, hints, root)


def _pick(variants: list[dict[str, Any]], hint: Any) -> dict[str, Any]:
    for v in variants:
        if "enum" in v and hint in v["enum"]:
            return v
    return variants[0]


def _fill_typed(schema: dict[str, Any], hints: Any, root: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        h = hints if isinstance(hints, dict) else {}
        return {k: fill_schema(v, h.get(k), root=root) for k, v in props.items()}
    if kind == "array":
        elements = hints if isinstance(hints, list) and hints else [None]
        return [fill_schema(schema.get("items", {}), e, root=root) for e in elements]
    if kind == "string":
        return hints if isinstance(hints, str) else ""
    if kind in ("number", "integer"):
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 1_000_000)
        numeric = isinstance(hints, int | float) and not isinstance(hints, bool)
        value = hints if numeric else min(hi, max(lo, 1))
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return hints if isinstance(hints, bool) else False
    return None
