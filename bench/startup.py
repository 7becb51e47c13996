"""Start-up time of `bunri ask`, `bunri serve` and `bunri worker`, phase by phase (issue 18).

Every measurement is a fresh process, as a user or the kubelet would start it:

- ``ask``: `bunri -v ask --embedded "생수병 어떻게 버려요?"` with a fresh data dir each run (no answer cache);
- ``photo``: the same with ``--image examples/pet_bottle.jpg``;
- ``serve``: `bunri -v serve --port 0` until ``/readyz`` answers, then `bunri ask` finding it through the
  file serve writes in the data dir (wall time of the whole `bunri ask` process);
- ``worker``: one `bunri -v worker --stage S` per stage on an already running embedded broker, until
  its ``/readyz`` answers; then ``kill -9`` and a restart, as after a crash.

Wall times are measured here around the process; phases come from the ``startup (s):`` line the
command logs with ``-v`` (see streams/phases.py: some phases run beside others). Peak RSS is the
process's own (``wait4``), image-pool children not counted. Results: docs/performance.md.

    .venv/bin/python bench/startup.py                      # all, 3 runs each
    .venv/bin/python bench/startup.py --runs 5 --only ask,photo
    .venv/bin/python bench/startup.py --cold-snapshot      # also without the rules snapshot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.broker import EmbeddedBroker, ensure_topics, free_port  # noqa: E402
from streams.phases import parse_line  # noqa: E402
from streams.settings import STAGES, KafkaSettings  # noqa: E402

BUNRI = [sys.executable, "-m", "streams.cli.main"]
QUESTION = "생수병 어떻게 버려요?"
PHOTO = ROOT / "examples" / "pet_bottle.jpg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="ask,photo,serve,worker", help="comma-separated: ask,photo,serve,worker")
    ap.add_argument("--stages", default=",".join(STAGES), help="worker stages to time")
    ap.add_argument("--cold-snapshot", action="store_true", help="also time `ask` with an empty rules cache dir")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(f"# bench/startup.py on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")  # noqa: T201
    if "ask" in only:
        report("bunri ask (text, embedded, fresh data dir)", [ask([]) for _ in range(args.runs)])
    if "photo" in only:
        report("bunri ask --image pet_bottle.jpg", [ask(["--image", str(PHOTO)]) for _ in range(args.runs)])
    if args.cold_snapshot:
        with tempfile.TemporaryDirectory() as cache:
            runs = []
            for _ in range(args.runs):
                for old in Path(cache).glob("*"):
                    old.unlink()
                runs.append(ask([], env={"BUNRI_RULES_CACHE_DIR": cache}))
            report("bunri ask, no rules snapshot yet (first use)", runs)
    if "serve" in only:
        serve(args.runs)
    if "worker" in only:
        workers(args.stages.split(","), args.runs)
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")  # noqa: T201


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """(wall s, peak RSS MB, stderr, exit code) of one process."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: S603
                            stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - began, usage.ru_maxrss / 1024, err.decode(errors="replace"), proc.returncode


def ask(extra: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data:
        wall, rss, err, code = run([*BUNRI, "-v", "ask", "--embedded", QUESTION, *extra],
                                   {"BUNRI_DATA_DIR": data, **(env or {})})
    if code != 0:
        raise SystemExit(f"bunri ask failed ({code}):\n{err[-2000:]}")
    return {**(parse_line(err) or {}), "wall": wall, "rss_mb": rss}


def serve(runs: int) -> None:
    ready, asks = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data:
            log = Path(data) / "serve.log"
            began = time.perf_counter()
            proc = spawn([*BUNRI, "-v", "serve", "--port", "0"], {"BUNRI_DATA_DIR": data}, log)
            try:
                url = wait_for_lock(Path(data), proc, log)
                ready.append({**wait_for_phases(log), "ready": time.perf_counter() - began})
                for _ in range(3):
                    wall, rss, err, code = run([*BUNRI, "-v", "ask", QUESTION], {"BUNRI_DATA_DIR": data})
                    if code != 0 or url not in err:
                        raise SystemExit(f"bunri ask did not use the server ({code}):\n{err[-2000:]}")
                    asks.append({**(parse_line(err) or {}), "wall": wall, "rss_mb": rss})
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
    report("bunri serve (embedded) until /readyz", ready)
    report("bunri ask on a running serve (1st = answer computed, then answer cache)", asks)


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # a file, not a pipe: a chatty -v process must never block on it
        return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,  # noqa: S603
                                stderr=out)


def wait_for_lock(data: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bunri serve exited:\n{log.read_text(errors='replace')[-2000:]}")
        lock = data / "serve.json"
        if lock.is_file():
            url = str(json.loads(lock.read_text())["url"])
            if http_status(f"{url}/readyz") == 200:
                return url
        time.sleep(0.01)
    raise SystemExit("bunri serve was not ready in time")


def wait_for_phases(log: Path, timeout: float = 5.0) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phases = parse_line(log.read_text(errors="replace"))
        if phases is not None:
            return phases
        time.sleep(0.02)
    return {}


def workers(stages: list[str], runs: int) -> None:
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(ensure_topics(broker.bootstrap, KafkaSettings()))
        for stage in stages:
            fresh, restarted = [], []
            for n in range(runs):
                proc, timing = start_worker(stage, broker.bootstrap, Path(tmp) / f"{stage}-{n}.log")
                fresh.append(timing)
                proc.kill()  # kill -9: no leave-group; the restart is the crash-recovery case
                proc.wait()
                proc, timing = start_worker(stage, broker.bootstrap, Path(tmp) / f"{stage}-{n}-again.log")
                restarted.append(timing)
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
            report(f"bunri worker --stage {stage} on a running broker until /readyz", fresh)
            report(f"bunri worker --stage {stage} restarted right after kill -9", restarted)


def start_worker(stage: str, bootstrap: str, log: Path) -> tuple[subprocess.Popen[bytes], dict[str, float]]:
    port = free_port()
    began = time.perf_counter()
    proc = spawn([*BUNRI, "-v", "worker", "--stage", stage, "--web-port", str(port)],
                 {"KAFKA_BOOTSTRAP": bootstrap}, log)
    while http_status(f"http://127.0.0.1:{port}/readyz") != 200:
        if proc.poll() is not None or time.perf_counter() - began > 60:
            raise SystemExit(f"worker {stage} not ready:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.01)
    ready = time.perf_counter() - began
    return proc, {**wait_for_phases(log), "ready": ready}


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as resp:  # noqa: S310  (our own http URLs)
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def report(title: str, runs: list[dict[str, float]]) -> None:
    keys = list(dict.fromkeys(k for r in runs for k in r))
    print(f"\n## {title}: median of {len(runs)} (each run)")  # noqa: T201
    for key in keys:
        values = [r[key] for r in runs if key in r]
        unit = " MB" if key == "rss_mb" else ""
        each = " ".join(f"{v:.2f}" for v in values)
        print(f"  {key:12s} {statistics.median(values):8.3f}{unit}   ({each})")  # noqa: T201


if __name__ == "__main__":
    main()
