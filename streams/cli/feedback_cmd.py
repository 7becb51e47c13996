"""``bunri feedback report [--since 7d] [--top 20] [--json]``: what users corrected, ranked."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from streams.errors import BrokerUnavailable
from streams.settings import Settings

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("feedback", help="what users said about answers (q.feedback, q.reply)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    r = actions.add_parser("report", help="rank corrections and the questions that ended in a clarification "
                           "or with no item, so the content team knows what to add next",
                           description="Reads q.feedback and q.reply on KAFKA_BOOTSTRAP (no consumer group, "
                           "nothing committed) and prints the corrections users sent, most frequent first, "
                           "and the questions answered with a clarification or with no item.")
    r.add_argument("--since", help="only records newer than this: a duration (24h, 7d) or an ISO date")
    r.add_argument("--top", type=int, default=20, help="rows per list (default 20)")
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    r.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from streams.feedback.read import parse_since

    settings = Settings()
    if not settings.bootstrap:
        print("bunri feedback: KAFKA_BOOTSTRAP is not set (the report reads the deployed topics)",  # noqa: T201
              file=sys.stderr)
        return 2
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"bunri feedback: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        report = asyncio.run(build(settings, since=since, top=args.top))
    except BrokerUnavailable as exc:
        print(f"bunri feedback: {exc.message}", file=sys.stderr)  # noqa: T201
        return 3
    from streams.feedback.report import render_text

    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else render_text(report))  # noqa: T201
    return 0


async def build(settings: Settings, *, since: datetime | None = None, top: int = 20) -> Any:
    """Read both topics and build the report (also used by tests)."""
    from streams import contracts as c
    from streams.feedback.read import read_values
    from streams.feedback.report import build_report
    from streams.topics import topic_name

    bootstrap = settings.bootstrap or ""
    tls = settings.kafka  # TLS/SASL options of the cluster
    feedback = [f async for f in _decoded(read_values(bootstrap, topic_name(settings.kafka, "feedback"),
                                                      since=since, security=tls), lambda v: c.decode(c.Feedback, v))]
    replies = [r async for r in _decoded(read_values(bootstrap, topic_name(settings.kafka, "reply"), since=since,
                                                     security=tls), c.parse_reply)]
    return build_report(feedback, replies, top=top)


async def _decoded(values: Any, decode: Any) -> Any:
    async for value in values:
        try:
            yield decode(value)
        except ValueError:  # a value this version cannot read is skipped, not fatal
            continue
