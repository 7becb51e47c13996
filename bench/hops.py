"""Broker overhead of the four hops (q.preprocess -> q.gpt5 -> q.rag -> q.gpt4o -> q.reply).

Runs the real faust binding with pass-through handlers on the embedded Tansu broker
(or KAFKA_BOOTSTRAP), sends requests one at a time, and prints p50/p99 of the time
from produce to reply minus the handlers' own time: what Kafka and faust add.

    python bench/hops.py --requests 300 --fetch-wait-ms 20
    python bench/hops.py --requests 50 --fetch-wait-ms 1500   # faust's hard-coded default
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta

from tqdm import tqdm

from gateway.bus import KafkaRequestBus
from streams import contracts as c
from streams.app import create_app, readiness
from streams.binding import StageBinding
from streams.broker import ensure_topics, kafka_broker
from streams.settings import Settings


async def _pre(m: c.QueryRequest) -> c.PreparedQuery:
    return c.PreparedQuery(envelope=m.envelope, question=m.question)


async def _gpt5(m: c.PreparedQuery) -> c.AnalysedQuery:
    return c.AnalysedQuery(envelope=m.envelope, question=m.question, analysis=c.VisionAnalysis(saw_image=False))


async def _rag(m: c.AnalysedQuery) -> c.RuleContext:
    return c.RuleContext(envelope=m.envelope, question=m.question, analysis=m.analysis)


async def _gpt4o(m: c.RuleContext) -> c.Answer:
    return c.Answer(query_id=m.envelope.query_id, question=m.question, answer="", item=None,
                    analysis=m.analysis, timings_ms=m.timings_ms)


BINDINGS = [StageBinding("preprocess", c.QueryRequest, _pre), StageBinding("gpt5", c.PreparedQuery, _gpt5),
            StageBinding("rag", c.AnalysedQuery, _rag), StageBinding("gpt4o", c.RuleContext, _gpt4o)]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(settings: Settings, requests: int, warmup: int) -> list[float]:
    await ensure_topics(settings.bootstrap or "", settings.kafka)
    app = create_app(settings, BINDINGS, app_id=f"bench-{uuid.uuid4().hex[:6]}")
    app.finalize()
    await app.start()
    bus = KafkaRequestBus(settings)
    await bus.start()
    try:
        while not readiness(app)["ready"]:
            await asyncio.sleep(0.05)
        overheads = []
        for n in tqdm(range(warmup + requests), file=sys.stderr, desc="requests", unit="q"):
            now = c.utcnow()
            req = c.QueryRequest(envelope=c.Envelope(query_id=uuid.uuid4(), created_at=now,
                                                     deadline=now + timedelta(seconds=30)), question="bench")
            started = time.perf_counter()
            await bus.submit(req)
            reply = await bus.wait(req.envelope.query_id, 30)
            elapsed = (time.perf_counter() - started) * 1000
            assert isinstance(reply, c.Answer), reply
            if n >= warmup:
                overheads.append(elapsed - sum(reply.timings_ms.values()))
        return overheads
    finally:
        await bus.stop()
        await app.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--fetch-wait-ms", type=int, default=None, help="default: the setting (20)")
    args = parser.parse_args()
    base = Settings()
    if args.fetch_wait_ms is not None:
        base = base.model_copy(update={"kafka": base.kafka.model_copy(
            update={"fetch_max_wait_ms": args.fetch_wait_ms})})
    with kafka_broker(base.bootstrap) as bootstrap:
        values = asyncio.run(run(base.with_bootstrap(bootstrap), args.requests, args.warmup))
    broker = "KAFKA_BOOTSTRAP" if os.environ.get("KAFKA_BOOTSTRAP") else "embedded Tansu"
    print(f"broker: {broker}; fetch_max_wait_ms={base.kafka.fetch_max_wait_ms}; "  # noqa: T201
          f"requests={len(values)} (sequential)")
    print("4 hops + reply, broker/faust overhead per request (ms):")  # noqa: T201
    print(f"  p50 {_pct(values, 0.50):7.1f}   p90 {_pct(values, 0.90):7.1f}   "  # noqa: T201
          f"p99 {_pct(values, 0.99):7.1f}   mean {statistics.fmean(values):7.1f}")
    print(f"  per hop (p50 / 4): {_pct(values, 0.50) / 4:.1f} ms")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
