"""One district's collection schedules, read from the MOIS open API's rows, and the one line an answer shows.

The rows are those of 행정안전부 생활쓰레기배출정보 (``household_waste_info/info``): one row per management
zone of a 시·군·구, with the days (``*_DOW``), start and end times (``*_BGNG_TM``, ``*_END_TM``) and method
(``*_MTHD``) of each stream — 생활쓰레기 (``LF_WST_EMSN``), 음식물 (``FOD_WST_EMSN``), 재활용품 (``RCYCL_EMSN``),
대형폐기물 (``TMPRY_BULK_WASTE_EMSN``) — and the place (``EMSN_PLC_TYPE``, ``EMSN_PLC_EXPLN``), the day without
collection (``UNCLLT_DAY``) and the department in charge (``CHRG_DEPT_NM``, ``CHRG_DEPT_TELNO``).

Only what answers use is kept: the zone's dong list (``MNG_ZONE_TRGT_RGN_NM``) is dropped, since without
the user's address (which bunri never asks for) it cannot pick a zone, and nothing finer than the
시·군·구 is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streams.regions.table import District, DistrictTable, compact_name, district_table

__all__ = ["STREAM_OF_CATEGORY", "STREAM_WORDS", "Collection", "DistrictData", "Stream", "Zone", "describe",
           "from_rows"]

Stream = Literal["general", "food", "recycle", "bulky"]
_PREFIX: dict[Stream, str] = {"general": "LF_WST_EMSN", "food": "FOD_WST_EMSN", "recycle": "RCYCL_EMSN",
                              "bulky": "TMPRY_BULK_WASTE_EMSN"}
#: The stream an official category is collected in; categories with their own boxes or pick-up (전지, 조명,
#: 전기전자, 의류, 유해, 공사장) have no district schedule.
STREAM_OF_CATEGORY: dict[str, Stream] = {
    **dict.fromkeys(("종이", "종이팩", "무색페트병", "플라스틱류", "비닐류", "발포합성수지", "유리병", "금속류"),
                    "recycle"),
    "일반종량제폐기물": "general",
    "불연성종량제폐기물": "general",
    "음식물류폐기물": "food",
    "대형폐기물": "bulky",
}
STREAM_WORDS: dict[Stream, str] = {"general": "생활쓰레기(종량제 봉투)", "food": "음식물 쓰레기",
                                   "recycle": "재활용품", "bulky": "대형폐기물"}
_MAX_METHOD = 40
_MAX_PLACE = 30


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Collection(_Frozen):
    """When one stream is put out in one zone."""

    days: str = ""
    start: str = ""
    end: str = ""
    method: str = ""


class Zone(_Frozen):
    """One management zone of the district (without its dong list)."""

    place_type: str = ""
    place: str = ""
    no_collection: str = ""
    streams: dict[Stream, Collection] = Field(default_factory=dict)


class DistrictData(_Frozen):
    """Everything answers use about one district, as cached per district."""

    code: str
    zones: list[Zone] = Field(default_factory=list)
    department: str = ""
    phone: str = ""
    base_date: str = ""  # DAT_CRTR_YMD when the API sends it


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else re.sub(r"\s+", " ", str(value)).strip()


def _zone(row: Mapping[str, Any]) -> Zone:
    streams: dict[Stream, Collection] = {}
    for stream, prefix in _PREFIX.items():
        got = Collection(days=_text(row, f"{prefix}_DOW"), start=_text(row, f"{prefix}_BGNG_TM"),
                         end=_text(row, f"{prefix}_END_TM"), method=_text(row, f"{prefix}_MTHD"))
        if any((got.days, got.start, got.end, got.method)):
            streams[stream] = got
    return Zone(place_type=_text(row, "EMSN_PLC_TYPE"), place=_text(row, "EMSN_PLC_EXPLN"),
                no_collection=_text(row, "UNCLLT_DAY"), streams=streams)


def _belongs(row: Mapping[str, Any], district: District, table: DistrictTable) -> Literal["exact", "city", ""]:
    if not table.in_sido(district.code, _text(row, "CTPV_NM")):
        return ""
    sgg, own = compact_name(_text(row, "SGG_NM")), compact_name(district.sigungu)
    if not own:  # 세종특별자치시: no 시·군·구 below the 시·도
        return "exact" if sgg in ("", "세종시", "세종특별자치시") else ""
    if sgg == own:
        return "exact"
    parts = district.sigungu.split()
    return "city" if len(parts) > 1 and sgg == compact_name(parts[0]) else ""


def from_rows(rows: Iterable[Mapping[str, Any]], district: District,
              table: DistrictTable | None = None) -> DistrictData:
    """The district's data among API rows (other districts' rows, from a LIKE filter or a whole file, are
    skipped). A city-level row ("수원시") serves a district of that city only when no row names the district."""
    table = table or district_table()
    exact, city = [], []
    for row in rows:
        kind = _belongs(row, district, table)
        (exact if kind == "exact" else city if kind == "city" else []).append(row)
    chosen = exact or city
    first = chosen[0] if chosen else {}
    return DistrictData(code=district.code, zones=[_zone(r) for r in chosen], department=_text(first, "CHRG_DEPT_NM"),
                        phone=_text(first, "CHRG_DEPT_TELNO"), base_date=_text(first, "DAT_CRTR_YMD"))


# ----------------------------------------------------------------- the answer's line

def _days(text: str) -> str:
    """"월요일, 수요일+금요일" → "월·수·금"; ranges ("일~목") and words ("매일") stay."""
    text = text.replace("요일", "")
    parts = [p for p in re.split(r"\s*[,+/|·]\s*|\s+", text) if p]
    return "·".join(dict.fromkeys(parts))


def _time(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    digits = digits[:4].rjust(4, "0") if len(digits) > 2 else digits.rjust(2, "0") + "00"
    return f"{digits[:2]}:{digits[2:4]}"


def _when(c: Collection) -> str:
    start, end = _time(c.start), _time(c.end)
    if start in ("", "00:00") and end in ("", "00:00"):
        hours = ""
    else:
        hours = f"{start or '?'}~{'24:00' if end == '00:00' else end or '?'}"
    return " ".join(x for x in (_days(c.days), hours) if x)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _variant(zone: Zone, stream: Stream) -> str:
    c = zone.streams[stream]
    place = " ".join(x for x in (zone.place_type, _cut(zone.place, _MAX_PLACE)) if x)
    said = ", ".join(x for x in (_when(c), place) if x)
    if c.method:
        said += f" ({_cut(c.method, _MAX_METHOD)})"
    return said


def describe(data: DistrictData, district: District, stream: Stream) -> str | None:
    """The answer's one line for ``stream`` in the district, or None when the data has nothing for it.

    Zones that agree give one schedule; zones that differ give the first two and how many more, since
    without the user's dong nobody can tell which zone applies.
    """
    variants = list(dict.fromkeys(_variant(z, stream) for z in data.zones if stream in z.streams))
    variants = [v for v in variants if v]
    if not variants:
        return None
    word = STREAM_WORDS[stream]
    if len(variants) == 1:
        line = f"{district.short} {word}: {variants[0]}"
    else:
        more = f" 외 {len(variants) - 2}가지" if len(variants) > 2 else ""
        line = f"{district.short} {word}: 구역마다 달라요 — {' / '.join(variants[:2])}{more}"
    off = list(dict.fromkeys(z.no_collection for z in data.zones if z.no_collection and stream in z.streams))
    if len(off) == 1 and len(variants) == 1:
        line += f", 수거 없는 날 {_cut(off[0], 20)}"
    return line + " (행정안전부 생활쓰레기배출정보)."
