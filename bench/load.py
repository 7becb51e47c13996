"""Open-loop load against a deployment with the fake model, and the direct baseline on the same traffic.

Starts the fake model (``bunri fake-llm`` with a trace of each query's model time), then either
a deployment as separate processes (``--shape workers``: embedded Tansu broker, one ``bunri worker``
per stage, ``bunri gateway``) or one ``bunri serve`` (``--shape serve``), sends photo and/or text
queries at ``--rate`` per second for ``--duration`` seconds (distinct photos, distinct questions: no
cache hits), then runs the same queries through the four stage handlers as plain async calls in this
process (``direct``: no Kafka, no HTTP). Printed per run and kind: answers/s, e2e p50/p95/p99,
overhead (e2e minus the time the fake spent on that query's calls), statuses, degraded count; CPU
seconds over the run and peak RSS per process (children, e.g. the image pool, apart); event-loop lag
p99 and max per process and the backlog (consumer lag, in flight) every ~10 s, from the processes' own
``/metrics`` (bench/promwatch.py); and the overhead ratio deployed/direct.

    python bench/load.py --mix photo --rate 20 --duration 30 --latency 0      # pure overhead
    python bench/load.py --mix both --rate 30 --duration 40                    # seed latencies (3-5 s / 1-2 s)
    python bench/load.py --shape serve --mix photo --latency 0
    python bench/load.py --mix text --questions 'tests/data/[lt]*/*.jsonl'      # varied Korean text
    python bench/load.py --idle 30                                              # idle cost per process
    python bench/load.py --target http://127.0.0.1:8000 --fake-url http://127.0.0.1:9100   # a running one

bunri's client-side rate limits are lifted (the fake has none); ``--env NAME=VALUE`` sets any other setting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadkit import MARK, ROOT, Outcome, ProcWatch, Query, RunResult, direct_run, open_loop, plan, summarise  # noqa: E402
from bench.promwatch import PromWatch  # noqa: E402
from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.rules.evaluate import load_labelled  # noqa: E402
from streams.settings import STAGES  # noqa: E402

BUNRI = [sys.executable, "-m", "streams.cli.main"]
# The fake has no rate limits; bunri's client-side ones (1M tokens/min per worker by default, and a
# gpt5 prompt lists the catalogue) would cap the vision calls at a few per second and measure them instead.
NO_CLIENT_LIMITS = {f"BUNRI_{stage}__{limit}": "1000000000" for stage in ("GPT5", "GPT4O") for limit in ("RPM", "TPM")}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen([*BUNRI, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    proc.log_tail = lambda: log.read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]
    return proc


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


async def _ready(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    limit = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < limit:
            if dead := [p for p in procs if p.poll() is not None]:
                raise RuntimeError(f"{' '.join(map(str, dead[0].args[3:]))} exited while waiting for {url}:\n"
                                   + getattr(dead[0], "log_tail", lambda: "")())
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {timeout} s")


@contextlib.contextmanager
def _fake(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    latency = ["--vision-latency", args.latency or args.vision_latency,
               "--answer-latency", args.latency or args.answer_latency]
    proc = _spawn(["fake-llm", "--port", str(port), "--seed", "1", "--trace", MARK, *latency],
                  dict(os.environ), tmp / "fake.log")
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        _stop([proc])


@contextlib.asynccontextmanager
async def _deployment(args: argparse.Namespace, env: dict[str, str],
                      tmp: Path) -> AsyncIterator[tuple[str, dict[str, int], dict[str, str]]]:
    """Start the deployment; yield the gateway URL, the processes to watch and their /metrics URLs."""
    procs: list[subprocess.Popen[bytes]] = []
    port = free_port()
    try:
        if args.shape == "serve":
            procs.append(_spawn(["serve", "--port", str(port)], env, tmp / "serve.log"))
            await _ready(f"http://127.0.0.1:{port}/readyz", procs)
            yield f"http://127.0.0.1:{port}", {"serve": procs[0].pid}, {"serve": f"http://127.0.0.1:{port}/metrics"}
            return
        with EmbeddedBroker() as broker:
            env = {**env, "KAFKA_BOOTSTRAP": broker.bootstrap, "BUNRI_WORKER__WEB_HOST": "127.0.0.1"}
            watched = {"broker": broker._proc.pid}  # type: ignore[union-attr]  # noqa: SLF001
            metrics = {}
            for stage in STAGES:
                web = free_port()
                procs.append(_spawn(["worker", "--stage", stage, "--web-port", str(web)], env, tmp / f"{stage}.log"))
                watched[stage] = procs[-1].pid
                metrics[stage] = f"http://127.0.0.1:{web}/metrics"
                await _ready(f"http://127.0.0.1:{web}/readyz", procs)  # one at a time: topics created once
            procs.append(_spawn(["gateway", "--port", str(port)], env, tmp / "gateway.log"))
            watched["gateway"] = procs[-1].pid
            metrics["gateway"] = f"http://127.0.0.1:{port}/metrics"
            await _ready(f"http://127.0.0.1:{port}/readyz", procs)
            try:
                yield f"http://127.0.0.1:{port}", watched, metrics
            finally:
                _stop(procs)
    finally:
        _stop(procs)


async def _http_one(client: httpx.AsyncClient, q: Query) -> Outcome:
    began = time.perf_counter()
    try:
        if q.image is not None:
            resp = await client.post("/v1/queries?wait=60", data={"question": q.question},
                                     files={"image": (f"{q.n}.jpg", q.image, "image/jpeg")})
        else:
            resp = await client.post("/v1/queries?wait=60", json={"question": q.question})
        status = str(resp.status_code)
        body = resp.json() if resp.status_code == 200 else {}
    except httpx.HTTPError as exc:
        status, body = f"error:{type(exc).__name__}", {}
    done = time.perf_counter()
    return Outcome(q.kind, q.n, status, done - began, began, done, bool(body.get("degraded")), status == "200")


async def _http_run(url: str, fake_url: str | None, queries: list[Query], rate: float,
                    watched: dict[str, int], metrics: dict[str, str]) -> RunResult:
    result = RunResult()
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=90, limits=limits) as client:
        for q in plan(2, 2, "both", seed=99):  # warm every path once
            q.question = q.question.replace("bq", "wq")
            await _http_one(client, q)
        watch, prom = ProcWatch(watched), PromWatch(metrics)
        watch.start()
        await prom.start()  # loop lag and backlog from the processes' own /metrics
        result.outcomes = await open_loop(queries, rate, lambda q: _http_one(client, q))
        watch.stop(result)
        await prom.stop()
        result.prom = prom
        if fake_url:
            result.model_s = (await client.get(f"{fake_url}/_trace")).json()
    return result


async def _idle(watched: dict[str, int], seconds: float) -> None:
    """CPU of an idle deployment (ready, no traffic) over ``seconds``, as a share of one core."""
    await asyncio.sleep(5)  # past start-up
    watch, idle = ProcWatch(watched), RunResult()
    watch.start()
    await asyncio.sleep(seconds)
    watch.stop(idle)
    total = sum(idle.cpu_s.values())
    print(f"idle for {seconds:.0f} s: {total / seconds * 100:.1f} % of one core in all")  # noqa: T201
    for proc in sorted(idle.cpu_s):
        print(f"    {proc:<22} {idle.cpu_s[proc] / seconds * 100:5.1f} %")  # noqa: T201


async def main(args: argparse.Namespace) -> None:
    texts = [case.question for case in load_labelled(args.questions)] if args.questions else None
    queries = [] if args.idle else plan(args.rate, args.duration, args.mix, texts=texts)
    kinds = ["photo", "text"] if args.mix == "both" else [args.mix]
    print(f"{len(queries)} queries ({args.mix}) at {args.rate}/s for {args.duration} s; model latency "  # noqa: T201
          f"{args.latency or f'vision {args.vision_latency} s, answer {args.answer_latency} s'}; shape {args.shape}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bunri-load-") as name:
        tmp = Path(name)
        figures = {}
        if args.target:
            run = await _http_run(args.target, args.fake_url, queries, args.rate, {},
                                  {"target": f"{args.target}/metrics"})
            figures["deployed"] = summarise(f"deployed at {args.target}", run, kinds)
            return
        with _fake(args, tmp) as (fake_url, fake_proc):
            await _ready(f"{fake_url}/v1/models", [fake_proc])
            env = {**os.environ, "OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": f"{fake_url}/v1",
                   "BUNRI_DATA_DIR": str(tmp / "data"), "BUNRI_LOG_LEVEL": "WARNING", **NO_CLIENT_LIMITS,
                   **dict(args.env)}
            if args.idle:
                async with _deployment(args, env, tmp) as (url, watched, _):
                    await _idle(watched, args.idle)
                return
            if not args.no_deployed:
                async with _deployment(args, env, tmp) as (url, watched, metrics):
                    run = await _http_run(url, fake_url, queries, args.rate, watched, metrics)
                figures["deployed"] = summarise(f"deployed ({args.shape})", run, kinds)
            if not args.no_direct:
                async with httpx.AsyncClient() as client:
                    before = (await client.get(f"{fake_url}/_trace")).json()
                os.environ.update({k: v for k, v in env.items() if k.startswith(("BUNRI_", "OPENAI_"))})
                os.environ["BUNRI_DATA_DIR"] = str(tmp / "direct")  # not the deployment's cache
                from streams.settings import Settings

                direct = await direct_run(Settings(), queries, args.rate)
                async with httpx.AsyncClient() as client:
                    after = (await client.get(f"{fake_url}/_trace")).json()
                direct.model_s = {k: v - before.get(k, 0.0) for k, v in after.items()}
                figures["direct"] = summarise("direct (four handlers, one process, no Kafka)", direct, kinds)
        if len(figures) == 2:
            for kind in kinds:
                d, b = figures["direct"].get(kind), figures["deployed"].get(kind)
                if d and b:
                    print(f"overhead p50 ratio, {kind}: deployed / direct = {b:.1f} / {d:.1f} ms = {b / d:.2f}")  # noqa: T201


def _env(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key, value


def _on_sigterm(*_: object) -> None:
    raise SystemExit(143)  # unwinds the context managers: the deployment and the fake are stopped


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the direct run's stage warnings (degraded answers) are counted
    signal.signal(signal.SIGTERM, _on_sigterm)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=20.0, help="queries per second, open loop (default 20)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of traffic (default 30)")
    p.add_argument("--mix", choices=["photo", "text", "both"], default="both")
    p.add_argument("--questions", default=None, metavar="PATH_OR_GLOB",
                   help="text questions from labelled sets (a .jsonl file, a directory or a glob) instead of eight "
                        "short ones: many distinct words, as the analyser's memory sees real traffic")
    p.add_argument("--latency", default=None, help="both model latencies, e.g. 0 for pure overhead")
    p.add_argument("--vision-latency", default="3-5", help="gpt5 latency range (default the seed's 3-5 s)")
    p.add_argument("--answer-latency", default="1-2", help="gpt4o latency range (default the seed's 1-2 s)")
    p.add_argument("--shape", choices=["workers", "serve"], default="workers")
    p.add_argument("--env", type=_env, action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment for the deployment and the direct run")
    p.add_argument("--target", default=None, help="a running gateway's URL instead of starting one")
    p.add_argument("--fake-url", default=None, help="with --target: the fake's URL (started with --trace 'bq\\d{6}')")
    p.add_argument("--no-direct", action="store_true", help="skip the direct baseline")
    p.add_argument("--no-deployed", action="store_true", help="only the direct baseline")
    p.add_argument("--idle", type=float, default=0, metavar="SECONDS",
                   help="instead of traffic: the deployment's CPU while idle over this many seconds")
    asyncio.run(main(p.parse_args()))
