"""Fixtures for the rules tests: the real catalogue (loaded once) and small catalogues on tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streams.rules import RulesCatalog
from streams.settings import default_rules_dir

RULES_DIR = default_rules_dir()
LABELLED_DIR = Path(__file__).resolve().parents[2] / "data" / "labelled"
SOURCES = [{"key": "MOE-GUIDE", "checked": "2026-11-24"}]


@pytest.fixture(scope="session")
def catalog() -> RulesCatalog:
    """The repository's real rules (fails with the full problem list if they are invalid)."""
    return RulesCatalog.load(RULES_DIR)


def item_doc(item_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid item document; override any field."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "item_id": item_id,
        "name": item_id,
        "aliases": [],
        "official_category": "플라스틱류",
        "channel": "플라스틱류 수거함",
        "steps": ["내용물을 비웁니다."],
        "sources": SOURCES,
    }
    doc.update(overrides)
    return doc


def category_doc(slug: str, code: str, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "slug": slug,
        "official_category": code,
        "name": code,
        "channel": f"{code} 수거함",
        "common_steps": [f"{code} 공통 단계입니다."],
        "sources": SOURCES,
    }
    doc.update(overrides)
    return doc


RulesWriter = Callable[..., Path]


@pytest.fixture
def write_rules(tmp_path: Path) -> RulesWriter:
    """Write item/category documents (and optionally docs/sources.md) under tmp_path; return the rules dir.

    Usage: ``write_rules(items=[item_doc(...)], categories=[category_doc(...)], sources=["MOE-GUIDE"])``.
    Items may also be ``(filename_stem, dict)`` pairs, to test a file name that differs from the id.
    """

    def write(items: list[Any] = (), categories: list[dict[str, Any]] = (),  # type: ignore[assignment]
              sources: list[str] | None = None) -> Path:
        root = tmp_path / "rules"
        (root / "categories").mkdir(parents=True, exist_ok=True)
        for entry in items:
            stem, doc = entry if isinstance(entry, tuple) else (entry["item_id"], entry)
            (root / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        for doc in categories:
            (root / "categories" / f"{doc['slug']}.json").write_text(json.dumps(doc, ensure_ascii=False),
                                                                     encoding="utf-8")
        if sources is not None:
            (tmp_path / "docs").mkdir(exist_ok=True)
            rows = "\n".join(f"| {k} | test source | https://example.invalid |" for k in sources)
            (tmp_path / "docs" / "sources.md").write_text(f"| key | what | url |\n|---|---|---|\n{rows}\n",
                                                          encoding="utf-8")
        return root

    return write
