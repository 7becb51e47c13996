"""Whole-pipeline figures on the embedded broker (or KAFKA_BOOTSTRAP).

    python bench/pipeline_bench.py faults --queries 200 --fault-rate 0.2
        photo queries against the fake OpenAI-compatible server with injected faults (seed latencies
        by default): counts of answered / degraded / failed, deadline misses, provider call counts
    python bench/pipeline_bench.py cache --requests 200
        the same photo + question through the HTTP gateway: first (miss) then repeats (cache hits)
    python bench/pipeline_bench.py batch --queries 1000
        text-only questions, concurrently, offline (what `bunri ask --batch` does)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from streams import contracts as c
from streams.cli.ask import ask_one, pipeline
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "examples" / "pet_bottle.jpg"
QUESTIONS = ["이 페트병 어떻게 버려요?", "이거 플라스틱인가요?", "뚜껑 닫힌 생수병인데 어디에 버려요",
             "라벨 붙어있는데 괜찮나요?"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _base(tmp: Path, **update: Any) -> Settings:
    return Settings().model_copy(update={"data_dir": tmp, **update})


async def _faults(args: argparse.Namespace, tmp: Path) -> None:
    from pydantic import SecretStr

    from streams.fakellm import FakeLLMConfig, FakeLLMServer, parse_range

    config = FakeLLMConfig(vision_latency=parse_range(args.vision_latency),
                           answer_latency=parse_range(args.answer_latency), fault_rate=args.fault_rate,
                           seed=args.seed, timeout_sleep_s=90.0)
    with FakeLLMServer(config) as llm:
        settings = _base(tmp, openai_api_key=SecretStr("bench"), openai_base_url=llm.base_url)
        async with pipeline(settings) as (bus, store, settings):
            slots = asyncio.Semaphore(args.concurrency)
            bar = tqdm(total=args.queries, file=sys.stderr, unit="q", desc="queries")

            async def one(n: int) -> tuple[c.Answer | c.Failure, float]:
                async with slots:
                    started = time.perf_counter()
                    reply = await ask_one(bus, store, settings, QUESTIONS[n % len(QUESTIONS)], PHOTO, use_cache=False)
                    bar.update(1)
                    return reply, time.perf_counter() - started

            results = await asyncio.gather(*(one(n) for n in range(args.queries)))
            bar.close()
        stats = llm.stats()
    answers = [r for r, _ in results if isinstance(r, c.Answer)]
    failures = [r for r, _ in results if isinstance(r, c.Failure)]
    late = [t for _, t in results if t > settings.query_timeout_s + 0.5]
    print(f"queries {len(results)}: answered {len(answers)} (degraded {sum(a.degraded for a in answers)}), "  # noqa: T201
          f"failed {len(failures)} {_reasons(failures)}; "
          f"past the {settings.query_timeout_s:.0f}s deadline: {len(late)}")
    times = [t for _, t in results]
    print(f"latency s: p50 {_pct(times, .5):.2f}  p95 {_pct(times, .95):.2f}  max {max(times):.2f}")  # noqa: T201
    print(f"provider calls: {stats['calls']}  faults injected: {stats['faults']}")  # noqa: T201


def _reasons(failures: list[c.Failure]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in failures:
        out[f.reason] = out.get(f.reason, 0) + 1
    return out


async def _cache(args: argparse.Namespace, tmp: Path) -> None:
    import uvicorn

    from gateway.main import create_app
    from streams.broker import free_port

    async with pipeline(_base(tmp)) as (_, _store, settings):
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            while (await client.get("/readyz")).status_code != 200:
                await asyncio.sleep(0.05)
            photo = PHOTO.read_bytes()

            async def post() -> tuple[float, dict[str, Any]]:
                started = time.perf_counter()
                resp = await client.post("/v1/queries", data={"question": QUESTIONS[0]},
                                          files={"image": ("p.jpg", photo, "image/jpeg")})
                resp.raise_for_status()
                return (time.perf_counter() - started) * 1000, resp.json()

            first_ms, first = await post()
            hits = []
            for _ in tqdm(range(args.requests), file=sys.stderr, unit="req", desc="repeats"):
                ms, body = await post()
                assert body["cache_hit"], "repeat photo + question did not hit the cache"
                hits.append(ms)
        server.should_exit = True
        await task
    print(f"first request (miss, offline models): {first_ms:.1f} ms, cache_hit={first['cache_hit']}")  # noqa: T201
    print(f"cache hits through the gateway over HTTP ({len(hits)}): p50 {_pct(hits, .5):.1f} ms  "  # noqa: T201
          f"p95 {_pct(hits, .95):.1f} ms  mean {statistics.fmean(hits):.1f} ms")


async def _batch(args: argparse.Namespace, tmp: Path) -> None:
    from streams.rules import RulesCatalog

    catalog = RulesCatalog.load(Settings().rules_dir)
    names = [doc.name for doc in catalog.items.values()]
    async with pipeline(_base(tmp)) as (bus, store, settings):
        slots = asyncio.Semaphore(args.concurrency)
        bar = tqdm(total=args.queries, file=sys.stderr, unit="q", desc="batch")

        async def one(n: int) -> c.Answer | c.Failure:
            async with slots:
                reply = await ask_one(bus, store, settings, f"{names[n % len(names)]} 어떻게 버려요?", None,
                                      use_cache=False)
                bar.update(1)
                return reply

        started = time.perf_counter()
        results = await asyncio.gather(*(one(n) for n in range(args.queries)))
        elapsed = time.perf_counter() - started
        bar.close()
    ok = sum(isinstance(r, c.Answer) for r in results)
    print(f"{len(results)} text-only queries (concurrency {args.concurrency}): {elapsed:.1f} s, "  # noqa: T201
          f"{len(results) / elapsed:.1f} q/s, answered {ok}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("faults")
    f.add_argument("--queries", type=int, default=200)
    f.add_argument("--fault-rate", type=float, default=0.2)
    f.add_argument("--vision-latency", default="3-5")
    f.add_argument("--answer-latency", default="1-2")
    f.add_argument("--concurrency", type=int, default=100)
    f.add_argument("--seed", type=int, default=1)
    k = sub.add_parser("cache")
    k.add_argument("--requests", type=int, default=200)
    b = sub.add_parser("batch")
    b.add_argument("--queries", type=int, default=1000)
    b.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    run = {"faults": _faults, "cache": _cache, "batch": _batch}[args.mode]
    with tempfile.TemporaryDirectory(prefix="bunri-bench-") as tmp, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
