"""First progress event after acceptance: how soon a mobile client's SSE stream says something.

Starts the embedded Tansu broker, the four stages (offline provider) and two gateway replicas, then,
one query at a time, does what the page and a mobile client do: ``POST /v1/queries?wait=0``
to one replica, then opens ``/v1/queries/{id}/events`` on that replica (``same``) or on the other
(``other``: the ``accepted`` event reaches it only through ``q.events``). Printed, per case:

- ``202 -> first event``: from the 202 reaching the client to the first event reaching it;
- ``accepted -> first event``: from the instant the gateway accepted the query (the event's ``at``, the
  same clock here) to the first event reaching the client;
- ``accepted -> answer event``: the whole query, for scale (every question is new: no cache hits).

Two shapes: by default the stages run in their own process (``bunri worker --stage all``, as deployed:
the gateways' event loop is their own); ``--serve`` puts everything in one process and one event loop,
as ``bunri serve`` does, where a stage's CPU work (the Korean resolver) can delay the gateways.

    python bench/first_event.py --requests 200
    python bench/first_event.py --requests 200 --serve
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.main import create_app  # noqa: E402
from streams.broker import EmbeddedBroker, free_port  # noqa: E402
from streams.runtime import embedded_stages  # noqa: E402
from streams.settings import STAGES, Settings  # noqa: E402

QUESTIONS = ["우유팩 어떻게 버려요?", "깨진 유리컵은요?", "건전지 버리는 법", "택배 상자 테이프", "생수병 라벨"]


async def _replica(settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as client:
        while not (server.started and (await client.get("/readyz")).status_code == 200):
            await asyncio.sleep(0.05)
    return server, task, url


async def _one(client: httpx.AsyncClient, post_to: str, stream_from: str, question: str) -> tuple[float, float, float]:
    resp = await client.post(f"{post_to}/v1/queries?wait=0", json={"question": question})
    got_202 = time.perf_counter()
    qid = resp.json()["query_id"]
    first: tuple[float, float] | None = None
    async with client.stream("GET", f"{stream_from}/v1/queries/{qid}/events") as events:
        async for line in events.aiter_lines():
            if not line.startswith("data: "):
                continue
            now_wall, now = time.time(), time.perf_counter()
            data = json.loads(line[6:])
            if first is None:
                accepted = datetime.fromisoformat(data["at"]).timestamp()
                first = (now - got_202, now_wall - accepted)
            if data["event"] in ("answer", "failure"):
                return first[0] * 1000, first[1] * 1000, (now_wall - accepted) * 1000
    raise AssertionError("the stream ended without an answer")


def _summary(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"  {name:<26} p50 {q[49]:6.1f} ms   p95 {q[94]:6.1f} ms   p99 {q[98]:6.1f} ms   max {max(values):6.1f} ms"


@contextlib.asynccontextmanager
async def _worker_process(base: Settings) -> AsyncIterator[Settings]:
    """An embedded broker here and `bunri worker --stage all` in a child process, as deployed."""
    with EmbeddedBroker() as broker:
        port = free_port()
        env = {**os.environ, "KAFKA_BOOTSTRAP": broker.bootstrap, "BUNRI_WORKER__WEB_PORT": str(port),
               "BUNRI_DATA_DIR": str(base.data_dir)}
        worker = subprocess.Popen([sys.executable, "-m", "streams.cli.main", "worker", "--stage", "all"],  # noqa: S603
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient() as client:
                while True:
                    assert worker.poll() is None, "the worker exited"
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
            yield base.with_bootstrap(broker.bootstrap)
        finally:
            worker.terminate()
            worker.wait(30)


@contextlib.asynccontextmanager
async def _in_process(base: Settings) -> AsyncIterator[Settings]:
    async with embedded_stages(base, list(STAGES)) as (_, settings):
        yield settings


async def main(requests: int, serve: bool) -> None:
    async with (_in_process if serve else _worker_process)(Settings()) as settings:
        replicas = [await _replica(settings), await _replica(settings)]
        a, b = replicas[0][2], replicas[1][2]
        results: dict[str, list[tuple[float, float, float]]] = {"same": [], "other": []}
        async with httpx.AsyncClient(timeout=30) as client:
            for n in range(5):  # warm up both paths
                await _one(client, a, b, f"{QUESTIONS[0]} (준비 {n})")
            for i in range(requests):
                case = "same" if i % 2 == 0 else "other"
                post_to, stream_from = (a, a) if case == "same" else (a, b)
                question = f"{QUESTIONS[i % len(QUESTIONS)]} ({i}번째)"  # new each time: no answer-cache hits
                results[case].append(await _one(client, post_to, stream_from, question))
        for server, task, _ in replicas:
            server.should_exit = True
            await task
    shape = "one process (bunri serve)" if serve else "stages in a worker process, gateways in another"
    print(f"first event on the embedded broker, {shape}; {requests} queries (half per case), fetch wait "  # noqa: T201
          f"{settings.kafka.fetch_max_wait_ms} ms:")
    for case, rows in results.items():
        print(f"{case} replica (n={len(rows)}):")  # noqa: T201
        print(_summary("202 -> first event", [r[0] for r in rows]))  # noqa: T201
        print(_summary("accepted -> first event", [r[1] for r in rows]))  # noqa: T201
        print(_summary("accepted -> answer event", [r[2] for r in rows]))  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", action="store_true", help="everything in one process, as `bunri serve`")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.serve))
