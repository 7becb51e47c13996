"""The 시·군·구 table and name resolution: what people type → one district, several (ask which), or none.

The table is ``data/sigungu.tsv`` (행정안전부 administrative codes, base date 2026-07-01); former districts
people still type are ``data/renames.tsv``. :meth:`DistrictTable.resolve` accepts a code (``11680``, or a
longer administrative code, of which only the first five digits are kept) or a name in any of the forms
people write: ``강남구``, ``강남``, ``서울 강남구``, ``서울특별시강남구``, ``수원시 영통구``, ``경기 수원 영통구``.
Words that name nothing at the district level (``역삼동``, ``123-4``, ``사는데``) are ignored, never kept:
the finest place bunri keeps is the 시·군·구.

Example::

    table = district_table()
    table.resolve("서울 강남구").districts      # (District(code='11680', sido='서울특별시', sigungu='강남구'),)
    len(table.resolve("중구").districts)         # 5: 서울, 부산, 대구, 대전, 울산 — the answer asks which
    table.resolve("인천 남구").note              # "인천광역시 남구는 지금 미추홀구예요."
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from streams.contracts import RegionRef
from streams.rules.text import josa

__all__ = ["District", "DistrictTable", "Located", "compact_name", "district_table"]

DATA = Path(__file__).resolve().parent / "data"
_SUFFIXES = ("시", "군", "구")
_SPLIT = re.compile(r"[\s,·/()\[\]{}\"'.:;!?~]+")

#: 시·도 as people write them → the current 시·도 of the table. A former 시·도 merged into a larger one
#: (광주광역시, 전라남도 → 전남광주통합특별시) keeps only its own districts (see :data:`_FORMER_PARTS`).
_SIDO_ALIASES: dict[str, tuple[str, ...]] = {
    "서울특별시": ("서울", "서울시"),
    "부산광역시": ("부산", "부산시"),
    "대구광역시": ("대구", "대구시"),
    "인천광역시": ("인천", "인천시"),
    "대전광역시": ("대전", "대전시"),
    "울산광역시": ("울산", "울산시"),
    "세종특별자치시": ("세종", "세종시"),
    "경기도": ("경기",),
    "강원특별자치도": ("강원", "강원도"),
    "충청북도": ("충북",),
    "충청남도": ("충남",),
    "전북특별자치도": ("전북", "전라북도"),
    "전남광주통합특별시": ("전남광주", "광주전남"),
    "경상북도": ("경북",),
    "경상남도": ("경남",),
    "제주특별자치도": ("제주", "제주도"),
}
#: A former 시·도 now part of a larger one: its names, the current 시·도, and the districts that were its own.
_FORMER_PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "광주광역시": ("전남광주통합특별시", ("동구", "서구", "남구", "북구", "광산구")),
    "광주": ("전남광주통합특별시", ("동구", "서구", "남구", "북구", "광산구")),
}
_FORMER_REST: dict[str, str] = {"전라남도": "전남광주통합특별시", "전남": "전남광주통합특별시"}
#: Codes of 시·도 renamed with their districts' codes (강원 42 → 51, 전북 45 → 52; the rest of the code kept).
_RENUMBERED = {"42": "51", "45": "52"}


def compact_name(text: str) -> str:
    """NFC, no spaces: the form names are compared in ("서울 강남구" == "서울강남구")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@dataclass(frozen=True, order=True)
class District:
    """One 시·군·구 of the table."""

    code: str
    sido: str
    sigungu: str  # "강남구", "수원시 영통구"; "" for 세종특별자치시

    @property
    def name(self) -> str:
        """"서울특별시 강남구"."""
        return f"{self.sido} {self.sigungu}".strip()

    @property
    def short(self) -> str:
        """What answers call it: "강남구", "수원시 영통구", "세종특별자치시"."""
        return self.sigungu or self.sido

    def ref(self, given: str = "request") -> RegionRef:
        """The wire form (:class:`~streams.contracts.RegionRef`)."""
        return RegionRef(code=self.code, sido=self.sido, sigungu=self.sigungu, given=given)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Located:
    """What a text names: one district (settled), several (ask which), or none."""

    districts: tuple[District, ...] = ()
    note: str | None = None  # a former name was used: where it is now

    @property
    def settled(self) -> District | None:
        return self.districts[0] if len(self.districts) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.districts) > 1


@dataclass(frozen=True)
class _Former:
    code: str | None
    sido: str
    name: str
    now: tuple[str, ...]


@dataclass
class DistrictTable:
    """All 시·군·구, indexed by code, by every part of their names, and by former names."""

    districts: dict[str, District]
    formers: list[_Former] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._parts: dict[str, set[str]] = defaultdict(set)  # "수원시", "영통구" -> codes
        self._stems: dict[str, set[str]] = defaultdict(set)  # "수원", "영통", "강남" -> codes
        self._by_sido: dict[str, set[str]] = defaultdict(set)
        for d in self.districts.values():
            self._by_sido[d.sido].add(d.code)
            for part in d.sigungu.split():
                self._parts[part].add(d.code)
                stem = part[:-1] if part.endswith(_SUFFIXES) else part
                if len(stem) >= 2:
                    self._stems[stem].add(d.code)
        self._sido: dict[str, set[str]] = {}
        for sido, aliases in _SIDO_ALIASES.items():
            for name in (sido, *aliases):
                self._sido[name] = set(self._by_sido[sido])
        for name, (sido, parts) in _FORMER_PARTS.items():
            self._sido[name] = {c for c in self._by_sido[sido] if self.districts[c].sigungu in parts}
        for name, sido in _FORMER_REST.items():  # 전라남도: the merged 시·도 without the former 광역시's districts
            self._sido[name] = self._by_sido[sido] - self._sido["광주광역시"]
        self._former_codes = {f.code: f for f in self.formers if f.code}

    # ------------------------------------------------------------- lookups

    def get(self, code: str) -> District | None:
        return self.districts.get(code)

    def is_sido_word(self, word: str) -> bool:
        return word in self._sido

    def in_sido(self, code: str, sido_word: str) -> bool:
        """Whether district ``code`` lies in the 시·도 ``sido_word`` names (former names too: "강원도")."""
        return code in self._sido.get(compact_name(sido_word), ())

    def is_district_word(self, word: str) -> bool:
        """A word that names a district by itself, with its 시/군/구 suffix ("강남구", "수원시", "인천 남구"'s 남구)."""
        return word.endswith(_SUFFIXES) and (word in self._parts or any(f.name == word for f in self.formers))

    # ------------------------------------------------------------- resolution

    def resolve(self, text: str) -> Located:
        """The district(s) ``text`` names (see the module docstring); ``Located()`` when it names none."""
        words = self._words(w for w in _SPLIT.split(unicodedata.normalize("NFC", text)) if w)
        if len(words) == 1 and words[0].isdigit():
            return self._by_code(words[0])
        sido_words = [w for w in words if w in self._sido]
        sido = set.intersection(*(self._sido[w] for w in sido_words)) if sido_words else None
        sets: list[set[str]] = []
        notes: list[str] = []
        for word in words:
            if word in self._sido:
                continue
            codes = self._current(word, sido)
            if not codes:
                codes, note = self._renamed(word, sido_words)
                notes += [note] if note else []
            if codes:
                sets.append(codes)
        if sets:
            found = set.intersection(*sets)
        elif sido is not None:
            found = set(sido)
            if len(sido_words) == 1 and len(words) == 1:  # "광주": the former 광역시, or 경기도 광주시
                found |= self._current(sido_words[0], None)
        else:
            return Located()
        districts = tuple(sorted(self.districts[c] for c in found))
        note = notes[0] if notes else (self._renamed_elsewhere(words, districts) if len(districts) > 1 else None)
        return Located(districts, note)

    def _words(self, words: Iterable[str]) -> list[str]:
        """Split glued names: "서울강남구" → 서울, 강남구; "수원시영통구" → 수원시, 영통구."""
        out: list[str] = []
        for word in words:
            out.extend(self._split(word))
        return out

    def _split(self, word: str) -> list[str]:
        if word in self._sido or word in self._parts or word in self._stems or len(word) < 4:
            return [word]
        for i in range(2, len(word) - 1):
            head, tail = word[:i], word[i:]
            if head in self._sido or head in self._parts or head in self._stems:
                rest = self._split(tail)
                if all(r in self._sido or r in self._parts or r in self._stems for r in rest):
                    return [head, *rest]
        return [word]

    def _current(self, word: str, sido: set[str] | None) -> set[str]:
        codes = set(self._parts.get(word) or self._stems.get(word) or ())
        return codes & sido if sido is not None else codes

    def _renamed(self, word: str, sido_names: list[str]) -> tuple[set[str], str | None]:
        stem = word[:-1] if word.endswith(_SUFFIXES) else word
        matches = [f for f in self.formers if f.name == word or (len(stem) >= 2 and f.name[:-1] == stem)]
        if sido_names:
            wanted = {self._canonical_sido(n) for n in sido_names}
            matches = [f for f in matches if f.sido in wanted]
        if not matches:
            return set(), None
        now = {c for f in matches for c in f.now}
        return now, self._moved(matches[0], sorted(now))

    def _moved(self, former: _Former, now: Iterable[str]) -> str:
        """"인천광역시 남구는 지금 미추홀구예요." (the 시·도 is named when it changed too)."""
        shown = "·".join(self.districts[c].short if self.districts[c].sido == former.sido else self.districts[c].name
                         for c in now)
        return f"{former.sido} {josa(former.name, '은/는')} 지금 {josa(shown, '이에요/예요')}."

    def _canonical_sido(self, name: str) -> str:
        """"서울" → 서울특별시; a former 시·도 ("광주광역시", "전라남도") → its own name, as the renames file has it."""
        if name in _FORMER_PARTS or name in _FORMER_REST:
            return {"광주": "광주광역시", "전남": "전라남도"}.get(name, name)
        for sido, aliases in _SIDO_ALIASES.items():
            if name == sido or name in aliases:
                return sido
        return name

    def _renamed_elsewhere(self, words: list[str], districts: tuple[District, ...]) -> str | None:
        """For an ambiguous bare name ("중구"): where the same name went in a 시·도 that no longer has it."""
        names = {w for w in words if w.endswith(_SUFFIXES)}
        moved = [f for f in self.formers if f.name in names and not (set(f.now) & {d.code for d in districts})
                 and f.sido not in {d.sido for d in districts}]
        if not moved:
            return None
        return self._moved(moved[0], moved[0].now)

    def note_for(self, codes: Iterable[str]) -> str | None:
        """Why a region asked about is ambiguous: a former district split in these ("인천광역시 중구는 지금
        제물포구·영종구예요."), or the same name elsewhere renamed ("중구": 인천광역시 중구)."""
        wanted = set(codes)
        split = next((f for f in self.formers if set(f.now) == wanted), None)
        if split is not None:
            return self._moved(split, split.now)
        known = tuple(self.districts[c] for c in wanted if c in self.districts)
        names = {d.sigungu.split()[-1] for d in known if d.sigungu}
        if len(names) == 1:
            return self._renamed_elsewhere(list(names), known)
        return None

    def _by_code(self, digits: str) -> Located:
        code = digits[:5]
        if len(digits) < 5:
            return Located()
        if code in self.districts:
            return Located((self.districts[code],))
        former = self._former_codes.get(code)
        if former is not None:
            return Located(tuple(self.districts[c] for c in former.now), self._moved(former, former.now))
        renumbered = _RENUMBERED.get(code[:2], "") + code[2:]
        if renumbered in self.districts:
            return Located((self.districts[renumbered],))
        return Located()


def _read_tsv(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@functools.cache
def district_table(data_dir: Path = DATA) -> DistrictTable:
    """The table shipped with the package (read once per process)."""
    districts = {}
    for row in _read_tsv(data_dir / "sigungu.tsv"):
        code, sido = row[0], row[1]
        districts[code] = District(code=code, sido=sido, sigungu=row[2].strip() if len(row) > 2 else "")
    formers = [_Former(code=None if row[0] == "-" else row[0], sido=row[1], name=row[2],
                       now=tuple(c for c in row[3].split(",") if c in districts))
               for row in _read_tsv(data_dir / "renames.tsv")]
    return DistrictTable(districts, [f for f in formers if f.now])
