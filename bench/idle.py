"""What an idle deployment's pieces cost, and what the adaptive fetch wait costs a quiet pipeline (issue 12).

Complements ``bench/load.py --idle 30`` (the whole deployment) with the pieces, on a fresh embedded broker:

- ``first``: the delay from producing a record to a consumer receiving it after 2.5-3.5 s of quiet, per
  idle fetch cap (``--caps``; 20 = the old constant wait): one hop's price for a query after a quiet spell;
- ``pieces``: CPU of one topic check (``streams/health/guard.py``) here and in the broker, and of the
  event-loop lag monitor alone;
- ``worker``: CPU of one idle ``bunri worker --stage rag`` and of the broker over 20 s, per setting variant.

    .venv/bin/python bench/idle.py                        # all three
    .venv/bin/python bench/idle.py --only first --caps 20,500,1000

Run it with ``flock /tmp/bunri-bench.lock`` on a shared machine. Results: docs/operations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from streams.broker import EmbeddedBroker, ensure_topics, free_port  # noqa: E402
from streams.health.guard import TopicGuard  # noqa: E402
from streams.kafka_clients import IdleFetchWait  # noqa: E402
from streams.observability.looplag import start_loop_monitor  # noqa: E402
from streams.settings import KafkaSettings  # noqa: E402

VARIANTS = {
    "default": {},
    "constant 20 ms fetch wait (before)": {"BUNRI_KAFKA__FETCH_IDLE_WAIT_MS": "20"},
    "commit every 5 s": {"BUNRI_KAFKA__COMMIT_INTERVAL_S": "5"},
    "heartbeat 3 s, session 10 s": {"BUNRI_KAFKA__HEARTBEAT_INTERVAL_MS": "3000",
                                    "BUNRI_KAFKA__SESSION_TIMEOUT_MS": "10000"},
}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def first_record(bootstrap: str, cap: int, n: int) -> list[float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await consumer.start()
    await producer.start()
    IdleFetchWait(20, cap).install(consumer)
    tps = [TopicPartition("q.rag", p) for p in range(4)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    delays = []
    try:
        for _ in range(n):
            await asyncio.sleep(2.5 + random.random())  # noqa: S311  (quiet: the wait has grown to the cap)
            sent = time.perf_counter()
            await producer.send_and_wait("q.rag", b"x", partition=random.randrange(4))  # noqa: S311
            await consumer.getone()
            delays.append((time.perf_counter() - sent) * 1000)
    finally:
        await consumer.stop()
        await producer.stop()
    return delays


async def pieces(broker: EmbeddedBroker) -> None:
    guard, n = TopicGuard(broker.bootstrap, KafkaSettings()), 100
    await guard.check_once()
    here, there = time.process_time(), cpu_s(broker._proc.pid)  # type: ignore[union-attr]  # noqa: SLF001
    for _ in range(n):
        await guard.check_once()
    here, there = time.process_time() - here, cpu_s(broker._proc.pid) - there  # type: ignore[union-attr]  # noqa: SLF001
    print(f"topic check: {here / n * 1000:.2f} ms CPU here, {there / n * 1000:.2f} ms in the broker")  # noqa: T201
    start_loop_monitor()
    began = time.process_time()
    await asyncio.sleep(10)
    print(f"event-loop lag monitor alone: {(time.process_time() - began) / 10 * 100:.2f} % of a core")  # noqa: T201


def idle_worker(broker: EmbeddedBroker, name: str, seconds: float = 20.0) -> None:
    port = free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP": broker.bootstrap, "BUNRI_LOG_LEVEL": "WARNING", **VARIANTS[name]}
    proc = subprocess.Popen([sys.executable, "-m", "streams.cli.main", "worker", "--stage", "rag",  # noqa: S603
                             "--web-port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"worker exited ({name})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:  # noqa: S310
                    if resp.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        time.sleep(5)  # past start-up
        pid = broker._proc.pid  # type: ignore[union-attr]  # noqa: SLF001
        worker, there = cpu_s(proc.pid), cpu_s(pid)
        time.sleep(seconds)
        worker, there = cpu_s(proc.pid) - worker, cpu_s(pid) - there
        print(f"{name:38s} worker {worker / seconds * 100:5.2f} %   broker {there / seconds * 100:5.2f} %",  # noqa: T201
              flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    time.sleep(7)  # the group settles before the next variant joins it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="first,pieces,worker", help="comma-separated: first,pieces,worker")
    ap.add_argument("--caps", default="20,250,500,1000", help="idle fetch caps (ms) for `first`")
    ap.add_argument("--records", type=int, default=12, help="records per cap for `first`")
    args = ap.parse_args()
    only = set(args.only.split(","))
    with EmbeddedBroker() as broker:
        asyncio.run(ensure_topics(broker.bootstrap, KafkaSettings()))
        if "first" in only:
            for cap in map(int, args.caps.split(",")):
                d = asyncio.run(first_record(broker.bootstrap, cap, args.records))
                print(f"idle fetch cap {cap:5d} ms: first record after quiet: mean {statistics.mean(d):6.1f}  "  # noqa: T201
                      f"median {statistics.median(d):6.1f}  max {max(d):6.1f} ms", flush=True)
        if "pieces" in only:
            asyncio.run(pieces(broker))
        if "worker" in only:
            for name in VARIANTS:
                idle_worker(broker, name)


if __name__ == "__main__":
    main()
