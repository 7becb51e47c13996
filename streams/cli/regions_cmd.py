"""``bunri regions``: try the 시·군·구 resolver, look a district's schedule up, or serve the fake MOIS API.

Subcommands::

    bunri regions resolve "서울 강남구"          # the district(s) a text names: code, name, or the choices
    bunri regions schedule 강남구                # that district's lines from the configured source
    bunri regions fake-api [--port 9200] [--data FILE] [--key test-key]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("regions", help="resolve 시·군·구 names, look up district schedules, fake MOIS API")
    sub = parser.add_subparsers(dest="regions_command", required=True)
    resolve = sub.add_parser("resolve", help="the district(s) a name or code stands for")
    resolve.add_argument("text", nargs="+", help="e.g. 강남구, '서울 중구', 11680, '인천 남구'")
    resolve.set_defaults(func=_resolve)
    schedule = sub.add_parser("schedule", help="a district's schedule lines from BUNRI_PUBLICDATA__* (API or file)")
    schedule.add_argument("text", nargs="+", help="the district, as for resolve")
    schedule.set_defaults(func=_schedule)
    fake = sub.add_parser("fake-api", help="serve a fake of the 행정안전부 생활쓰레기배출정보 API on loopback")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=9200)
    fake.add_argument("--data", type=Path, help="rows as JSON (the API's response shape or a list); "
                      "default: made-up example rows for 서울 마포구, 서울 중구, 부산 중구, 수원시 영통구")
    fake.add_argument("--key", default="test-key", help="the service key it accepts (default: test-key)")
    fake.set_defaults(func=_fake_api)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _resolve(args: argparse.Namespace) -> int:
    from streams.regions import district_table

    found = district_table().resolve(" ".join(args.text))
    if not found.districts:
        _out("no 시·군·구 of that name or code")
        return 1
    for d in found.districts:
        _out(f"{d.code}\t{d.name}")
    if found.ambiguous:
        _out(f"ambiguous: {len(found.districts)} districts; a query with this region asks which")
    if found.note:
        _out(found.note)
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from streams.regions import district_table
    from streams.regions.guide import RegionalDataError, make_guide
    from streams.regions.schedule import STREAM_WORDS, describe
    from streams.settings import Settings
    from streams.store import make_store

    settings = Settings()
    district = district_table().resolve(" ".join(args.text)).settled
    if district is None:
        _out("give one 시·군·구 (see `bunri regions resolve`)")
        return 2
    guide = make_guide(settings.publicdata, make_store(settings))
    if guide is None:
        _out("no source configured: set BUNRI_PUBLICDATA__SERVICE_KEY (or BUNRI_PUBLICDATA__FILE); answers point to "
             f"{settings.publicdata.portal_url}")
        return 1
    try:
        data = asyncio.run(guide.district(district, budget_s=settings.publicdata.timeout_s))
    except RegionalDataError as exc:
        _out(f"{district.name}: {exc}")
        return 1
    if data is None:
        _out(f"{district.name}: no data in {guide.name}")
        return 1
    for stream in STREAM_WORDS:
        line = describe(data, district, stream)  # type: ignore[arg-type]
        if line:
            _out(line)
    return 0


def _fake_api(args: argparse.Namespace) -> int:
    import json

    from streams.regions.fake import SAMPLE_ROWS, FakeMoisApi
    from streams.regions.guide import rows_of

    rows = rows_of(json.loads(args.data.read_text(encoding="utf-8"))) if args.data else SAMPLE_ROWS
    with FakeMoisApi(rows, service_key=args.key, host=args.host, port=args.port) as api:
        api.log = lambda line: (_out(line), sys.stdout.flush())
        _out(f"fake MOIS API on {api.url} ({len(rows)} rows, key {args.key!r}); try:")
        _out(f"  BUNRI_PUBLICDATA__BASE_URL={api.url} BUNRI_PUBLICDATA__SERVICE_KEY={args.key} "
             "bunri ask --region 마포구 \"우유팩 어떻게 버려요?\"")
        sys.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
