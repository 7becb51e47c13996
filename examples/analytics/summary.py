"""A live summary of bunri's replies, as an analytics team would write it: a Kafka client and the schema.

This program knows bunri only through its public contract: the ``q.reply`` topic and the committed JSON
Schema ``schemas/q.reply.v1.json``. It imports nothing from bunri. It reads with its own consumer group,
validates every value against the schema (which admits fields added later, per the compatibility policy
in docs/topics.md), deduplicates on ``query_id`` (delivery is at least once) and prints, every few
seconds: replies and failures by reason, the top items and categories, the clarification and degraded
rates, the estimated cost per hour, and the p95 end-to-end latency (``created_at - accepted_at``).

    pip install aiokafka jsonschema
    python examples/analytics/summary.py --bootstrap 127.0.0.1:9092 --from-beginning

Stop it with Ctrl-C; ``--max-messages`` / ``--max-seconds`` stop it by themselves (tests, cron).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import sys
import time
from collections import Counter, OrderedDict, deque
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from jsonschema import Draft202012Validator

DEFAULT_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "q.reply.v1.json"


class Summary:
    """Running figures over every distinct reply seen."""

    def __init__(self, window: int = 10_000) -> None:
        self.seen: OrderedDict[str, None] = OrderedDict()  # recent query ids, for at-least-once duplicates
        self.kinds: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.categories: Counter[str] = Counter()
        self.cost_by_hour: Counter[str] = Counter()
        self.latencies: deque[float] = deque(maxlen=window)
        self.clarifications = self.degraded = self.duplicates = self.invalid = 0

    def add(self, reply: dict[str, Any]) -> None:
        qid = reply["query_id"]
        if qid in self.seen:
            self.duplicates += 1
            return
        self.seen[qid] = None
        if len(self.seen) > 100_000:
            self.seen.popitem(last=False)
        self.kinds[reply["kind"]] += 1
        if reply["kind"] == "failure":
            self.failures[reply["reason"]] += 1
            return
        self.clarifications += bool(reply.get("needs_clarification"))
        self.degraded += bool(reply.get("degraded"))
        item = reply.get("item")
        if item:
            self.items[f"{item['name']} ({item['item_id']})"] += 1
        guidance = reply.get("items") or []  # per item in the photo; the first is the primary one
        category = guidance[0].get("official_category") if guidance else (item or {}).get("official_category")
        if category:
            self.categories[category] += 1
        created = _instant(reply["created_at"])
        self.cost_by_hour[created.strftime("%Y-%m-%d %H:00Z")] += reply.get("usage", {}).get("cost_usd", 0.0)
        if reply.get("accepted_at"):  # added to the contract later: older replies simply lack it
            self.latencies.append((created - _instant(reply["accepted_at"])).total_seconds() * 1000)

    def as_dict(self) -> dict[str, Any]:
        replies = sum(self.kinds.values())
        answers = self.kinds["answer"]
        return {
            "replies": replies,
            "answers": answers,
            "failures": dict(self.failures.most_common()),
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "top_items": self.items.most_common(5),
            "top_categories": self.categories.most_common(5),
            "clarification_rate": round(self.clarifications / replies, 4) if replies else None,
            "degraded_rate": round(self.degraded / replies, 4) if replies else None,
            "cost_per_hour_usd": {hour: round(cost, 6) for hour, cost in sorted(self.cost_by_hour.items())[-6:]},
            "p95_latency_ms": _p95(self.latencies),
        }

    def as_text(self) -> str:
        d = self.as_dict()
        lines = [f"{datetime.now():%H:%M:%S}  {d['replies']} replies ({d['answers']} answers), failures "
                 f"{d['failures'] or 0}, clarification {_pct(d['clarification_rate'])}, degraded "
                 f"{_pct(d['degraded_rate'])}, p95 {d['p95_latency_ms'] or '-'} ms, invalid {d['invalid']}"]
        lines.append("  top categories: " + ", ".join(f"{k} {n}" for k, n in d["top_categories"]))
        lines.append("  top items:      " + ", ".join(f"{k} {n}" for k, n in d["top_items"]))
        lines.append("  cost per hour:  " + ", ".join(f"{h} ${c:.4f}" for h, c in d["cost_per_hour_usd"].items()))
        return "\n".join(lines)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _p95(values: deque[float]) -> float | None:
    if not values:
        return None
    data = sorted(values)
    return round(data[min(len(data) - 1, math.ceil(0.95 * len(data)) - 1)], 1)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


async def run(args: argparse.Namespace) -> Summary:
    validator = Draft202012Validator(json.loads(args.schema.read_text(encoding="utf-8")))
    consumer = AIOKafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group,
                                auto_offset_reset="earliest" if args.from_beginning else "latest",
                                enable_auto_commit=True)
    summary = Summary()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = last_print = time.monotonic()
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    try:
                        reply = json.loads(record.value)
                        validator.validate(reply)
                    except Exception:  # noqa: BLE001  (not JSON, or not the contract: count it, go on)
                        summary.invalid += 1
                        continue
                    summary.add(reply)
            now = time.monotonic()
            done = (args.max_messages and sum(summary.kinds.values()) + summary.invalid + summary.duplicates
                    >= args.max_messages) or (args.max_seconds and now - started >= args.max_seconds)
            if done or now - last_print >= args.every:
                _show(summary, args.json)
                last_print = now
            if done:
                break
    finally:
        await consumer.stop()
    return summary


def _show(summary: Summary, as_json: bool) -> None:
    sys.stdout.write((json.dumps(summary.as_dict(), ensure_ascii=False) if as_json else summary.as_text()) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, e.g. 127.0.0.1:9092")
    p.add_argument("--topic", default="q.reply", help="the reply topic, with bunri's prefix if one is set")
    p.add_argument("--group", default="bunri-analytics-example", help="this consumer's own group")
    p.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help="the committed q.reply JSON Schema")
    p.add_argument("--from-beginning", action="store_true", help="a new group starts at the oldest reply")
    p.add_argument("--every", type=float, default=5.0, help="seconds between summaries (default 5)")
    p.add_argument("--json", action="store_true", help="print each summary as one JSON line")
    p.add_argument("--max-messages", type=int, default=0, help="stop after this many messages (0: never)")
    p.add_argument("--max-seconds", type=float, default=0, help="stop after this many seconds (0: never)")
    asyncio.run(run(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
