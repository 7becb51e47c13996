"""The on-disk catalogue snapshot: read when rules/ is unchanged, rebuilt when anything it depends on changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.rules import RulesCatalog, RulesError
from streams.rules import snapshot as snap
from tests.unit.rules.conftest import RulesWriter, category_doc, item_doc


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every full build (RulesCatalog.load) the snapshot module asks for."""
    calls: list[Path] = []
    real = RulesCatalog.load.__func__  # type: ignore[attr-defined]

    def counting(cls: type[RulesCatalog], path: Path, **kwargs: object) -> RulesCatalog:
        calls.append(Path(path))
        return real(cls, path, **kwargs)

    monkeypatch.setattr(RulesCatalog, "load", classmethod(counting))
    return calls


def _rules(write_rules: RulesWriter, *names: str) -> Path:
    items = [item_doc("water_pet_bottle", name="생수병", aliases=list(names), official_category="무색페트병",
                      channel="투명 페트병 수거함"),
             item_doc("milk_carton", name="우유팩", official_category="종이팩", channel="종이팩 수거함")]
    return write_rules(items=items, categories=[category_doc("plastic", "플라스틱류")], sources=["MOE-GUIDE"])


def test_second_load_reads_the_snapshot(write_rules: RulesWriter, tmp_path: Path, builds: list[Path]) -> None:
    root = _rules(write_rules)
    first = snap.load_catalog(root, cache_dir=tmp_path / "cache")
    second = snap.load_catalog(root, cache_dir=tmp_path / "cache")
    assert len(builds) == 1  # the second came from disk
    assert list((tmp_path / "cache").glob("rules-*.pickle"))
    assert second.version == first.version and list(second.items) == list(first.items)
    assert second.path == root
    assert second.get("water_pet_bottle") == first.get("water_pet_bottle")
    assert second.refs(second.items["milk_carton"]) == first.refs(first.items["milk_carton"])


def test_a_changed_rules_file_invalidates_it(write_rules: RulesWriter, tmp_path: Path, builds: list[Path]) -> None:
    root = _rules(write_rules)
    before = snap.load_catalog(root, cache_dir=tmp_path / "cache")
    doc = json.loads((root / "water_pet_bottle.json").read_text(encoding="utf-8"))
    doc["aliases"] = ["삼다수병"]
    (root / "water_pet_bottle.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    after = snap.load_catalog(root, cache_dir=tmp_path / "cache")
    assert len(builds) == 2
    assert after.version != before.version
    assert list(after.items["water_pet_bottle"].aliases) == ["삼다수병"]


def test_a_new_file_or_a_changed_legend_invalidates_it(write_rules: RulesWriter, tmp_path: Path,
                                                       builds: list[Path]) -> None:
    root = _rules(write_rules)
    key = snap.snapshot_key(root)
    (root / "categories" / "paper_pack.json").write_text(
        json.dumps(category_doc("paper_pack", "종이팩"), ensure_ascii=False), encoding="utf-8")
    assert snap.snapshot_key(root) != key
    key = snap.snapshot_key(root)
    legend = root.parent / "docs" / "sources.md"
    legend.write_text(legend.read_text(encoding="utf-8") + "| MOE-OTHER | other | https://example.invalid |\n",
                      encoding="utf-8")
    assert snap.snapshot_key(root) != key


def test_invalid_rules_are_never_cached(write_rules: RulesWriter, tmp_path: Path) -> None:
    root = write_rules(items=[item_doc("bad", official_category="없는분류")])
    with pytest.raises(RulesError):
        snap.load_catalog(root, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("rules-*.pickle"))


def test_a_damaged_snapshot_is_rebuilt(write_rules: RulesWriter, tmp_path: Path, builds: list[Path]) -> None:
    root = _rules(write_rules)
    snap.load_catalog(root, cache_dir=tmp_path / "cache")
    (path,) = (tmp_path / "cache").glob("rules-*.pickle")
    path.write_bytes(b"not a pickle")
    catalog = snap.load_catalog(root, cache_dir=tmp_path / "cache")
    assert len(builds) == 2 and "milk_carton" in catalog
    assert snap.load_catalog(root, cache_dir=tmp_path / "cache").version == catalog.version  # rewritten
    assert len(builds) == 2


def test_an_unwritable_cache_only_costs_the_rebuild(write_rules: RulesWriter, tmp_path: Path,
                                                    builds: list[Path]) -> None:
    root = _rules(write_rules)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    assert "milk_carton" in snap.load_catalog(root, cache_dir=blocker)
    assert "milk_carton" in snap.load_catalog(root, cache_dir=None)
    assert len(builds) == 2


def test_old_snapshots_are_pruned(write_rules: RulesWriter, tmp_path: Path) -> None:
    root = _rules(write_rules)
    cache = tmp_path / "cache"
    for n in range(snap.KEEP + 2):
        (root / "milk_carton.json").write_text(json.dumps(item_doc(
            "milk_carton", name="우유팩", aliases=[f"우유곽{n}"], official_category="종이팩", channel="종이팩 수거함"),
            ensure_ascii=False), encoding="utf-8")
        snap.load_catalog(root, cache_dir=cache)
    assert len(list(cache.glob("rules-*.pickle"))) == snap.KEEP


def test_the_snapshot_resolves_like_a_fresh_build(tmp_path: Path) -> None:
    """The real catalogue, through pickle and back: same answers (the resolver's indexes survive)."""
    from streams.settings import default_rules_dir

    fresh = RulesCatalog.load(default_rules_dir(), warm=False)
    snap.load_catalog(default_rules_dir(), cache_dir=tmp_path)
    cached = snap.load_catalog(default_rules_dir(), cache_dir=tmp_path)
    assert cached is not fresh
    for text in ["뚜껑 닫힌 생수병은 어떻게 버려요?", "기름 묻은 피자 박스", "패트병", "깨진 유리컵", "우유팩이랑 캔"]:
        assert cached.resolve(text) == fresh.resolve(text), text
