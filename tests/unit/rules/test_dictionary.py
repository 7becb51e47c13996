"""The knowledge base against the national item dictionary (MOE-GUIDE open data, 730 names).

Every dictionary name is asked as "<name> 어떻게 버려요?" through the resolver, the way the offline path
of ``bunri ask`` reads it, and must land on a document whose default category is one of the ministry's
codes for that name — or, for the names below whose dictionary entry lists several categories, on a
document whose stated cases cover every one of them.
"""

from __future__ import annotations

import pytest

from streams.rules import RulesCatalog
from streams.rules.dictionary import DICTIONARY_FILE, CoverageReport, coverage, load_dictionary, path_code

#: Names whose default category we deliberately set to another of the ministry's own paths for them,
#: with why. Each must still state every ministry case. Keep this short: it is the 2 % the issue allows.
DEFAULT_DIFFERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def report(catalog: RulesCatalog) -> CoverageReport:
    assert catalog.path is not None
    return coverage(catalog, load_dictionary(catalog.path / DICTIONARY_FILE))


class TestPathCodes:
    @pytest.mark.parametrize(("path", "code"), [
        (["재활용폐기물", "합성수지 용기류"], "플라스틱류"),
        (["재활용폐기물", "합성수지 비닐류"], "비닐류"),
        (["재활용폐기물", "금속류 기타캔류"], "금속류"),
        (["재활용폐기물", "종이팩 멸균팩"], "종이팩"),
        (["재활용폐기물", "빈용기보증금 대상"], "유리병"),
        (["재활용폐기물", "발포합성수지(스티로폼 등)"], "발포합성수지"),
        (["재활용폐기물", "조명제품 LED(직관형,전구형)"], "조명제품"),
        (["생활계 유해폐기물", "폐의약품"], "생활계유해폐기물"),
        (["일반폐기물", "불연성종량제폐기물"], "불연성종량제폐기물"),
        (["공사장 생활폐기물"], "공사장생활폐기물"),
        (["대형폐기물"], "대형폐기물"),
        (["재활용폐기물"], None),
    ])
    def test_ministry_path_to_code(self, path: list[str], code: str | None) -> None:
        assert path_code(path) == code

    def test_every_ministry_path_maps(self, report: CoverageReport) -> None:
        assert len(report.rows) == 730
        assert all(r.entry.codes for r in report.rows)


class TestCoverage:
    def test_every_name_resolves_without_asking_back(self, report: CoverageReport) -> None:
        missing = [r.entry.name for r in report.rows if not r.resolved]
        assert not missing, f"{len(missing)} dictionary names find no document: {missing[:40]}"

    def test_at_least_98_percent_land_in_the_ministry_category(self, report: CoverageReport) -> None:
        wrong = [f"{r.entry.name}: want {'/'.join(r.entry.codes)}, got {r.item_id} ({r.code})"
                 for r in report.wrong()]
        assert report.right / len(report.rows) >= 0.98, "\n".join(wrong)

    def test_the_rest_are_only_listed_several_category_names(self, report: CoverageReport) -> None:
        unexplained = [r.entry.name for r in report.wrong()
                       if r.entry.name not in DEFAULT_DIFFERS or not (r.entry.several and r.cases_complete)]
        assert not unexplained, unexplained

    def test_it_depends_entries_state_every_case(self, report: CoverageReport) -> None:
        incomplete = [f"{r.entry.name} → {r.item_id}: {'/'.join(r.entry.codes)} vs {r.code}+{r.case_codes}"
                      for r in report.rows if r.entry.several and r.resolved and not r.cases_complete
                      and not r.item_id.startswith("(")]
        assert not incomplete, "\n".join(incomplete)


class TestSize:
    def test_documents_and_names(self, catalog: RulesCatalog) -> None:
        s = catalog.stats()
        assert s.items >= 1100 and s.distinct_names >= 6000, (s.items, s.distinct_names)
        assert all(count > 0 for count in s.per_category.values()), s.per_category
