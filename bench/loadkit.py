"""Parts of the load benchmark (bench/load.py): traffic, process figures, the direct baseline."""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "examples" / "pet_bottle.jpg"
TEXTS = ["우유팩 어떻게 버려요?", "깨진 유리컵은요?", "건전지 버리는 법", "택배 상자 테이프 붙은 거",
         "생수병 라벨 떼야 해요?", "기름 묻은 피자 박스", "스티로폼 용기 버리는 법", "유리병 뚜껑은요?"]
PHOTO_QUESTIONS = ["이 페트병 어떻게 버려요?", "이거 플라스틱인가요?", "뚜껑 닫힌 생수병인데 어디에 버려요"]
MARK = r"bq\d{6}"  # the fake's trace pattern: each query's own mark, in its question


def mark(n: int) -> str:
    return f"bq{n:06d}"


def photos(count: int, seed: int = 7) -> list[bytes]:
    """``count`` distinct JPEGs: the example photo under a different random block pattern each."""
    from PIL import Image

    base = Image.open(PHOTO).convert("RGB")
    rng = random.Random(seed)  # noqa: S311  (test data)
    out = []
    for _ in range(count):
        img = base.copy()
        w, h = img.size
        for _ in range(12):
            x, y = rng.randrange(w), rng.randrange(h)
            colour = tuple(rng.randrange(256) for _ in range(3))
            img.paste(colour, (x, y, min(w, x + w // 6), min(h, y + h // 6)))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=88)
        out.append(buf.getvalue())
    return out


@dataclass
class Query:
    n: int
    kind: str  # photo | text
    question: str
    image: bytes | None


def plan(rate: float, duration: float, mix: str, seed: int = 7, texts: list[str] | None = None) -> list[Query]:
    """The open-loop schedule's queries: ``mix`` is photo, text or both (alternating); text questions from
    ``texts`` (default: eight short ones)."""
    total = int(rate * duration)
    kinds = ["photo", "text"] if mix == "both" else [mix]
    needed = sum(1 for i in range(total) if kinds[i % len(kinds)] == "photo")
    images = iter(photos(needed, seed))
    queries = []
    for i in range(total):
        kind = kinds[i % len(kinds)]
        pool = PHOTO_QUESTIONS if kind == "photo" else (texts or TEXTS)
        question = f"{pool[i % len(pool)]} ({mark(i)})"  # new each time: no answer-cache hits
        queries.append(Query(i, kind, question, next(images) if kind == "photo" else None))
    return queries


@dataclass
class Outcome:
    kind: str
    n: int
    status: str  # an HTTP status, or answer/failure:<reason>/error:<type> for the direct run
    e2e_s: float
    sent_at: float
    done_at: float
    degraded: bool = False
    answered: bool = False


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    model_s: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    prom: Any = None  # bench.promwatch.PromWatch of a deployed run: loop lag and backlog


async def open_loop(queries: list[Query], rate: float, one: Callable[[Query], Awaitable[Outcome]]) -> list[Outcome]:
    """Send each query at its scheduled time whatever the others are doing (open loop)."""
    start = time.perf_counter()
    tasks = []
    for i, q in enumerate(queries):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(q)))
    return list(await asyncio.gather(*tasks))


# -- per-process CPU and memory, from /proc (no psutil) ----------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _status(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """Every descendant (the image pool's workers are the fork server's children)."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids + [g for k in kids for g in children(k)]


class ProcWatch:
    """CPU seconds over a window and peak RSS (sampled, and the kernel's high-water mark) per process.

    ``procs`` maps a name to a pid; each process's children are reported as ``name+children``.
    """

    def __init__(self, procs: dict[str, int]) -> None:
        self.procs = procs
        self.peak: Counter[str] = Counter()
        self.cpu0: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def _cpu(self) -> dict[str, float]:
        out = {}
        for name, pid in self.procs.items():
            out[name] = cpu_s(pid)
            kids = children(pid)
            if kids:
                out[name + "+children"] = sum(cpu_s(k) for k in kids)
        return out

    def _sample(self) -> None:
        for name, pid in self.procs.items():
            self.peak[name] = max(self.peak[name], _status(pid, "VmHWM"))
            kids = children(pid)
            if kids:
                self.peak[name + "+children"] = max(self.peak[name + "+children"],
                                                    sum(_status(k, "VmRSS") for k in kids))

    async def _loop(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self.cpu0 = self._cpu()
        self._task = asyncio.create_task(self._loop())

    def stop(self, result: RunResult) -> None:
        if self._task:
            self._task.cancel()
        self._sample()
        end = self._cpu()
        result.cpu_s = {k: end.get(k, 0.0) - self.cpu0.get(k, 0.0) for k in end}
        result.peak_rss_mb = dict(self.peak)


# -- the direct baseline: the four handlers as plain async calls, no Kafka --------------------------------

async def direct_run(settings: Any, queries: list[Query], rate: float) -> RunResult:
    from streams import contracts as c
    from streams.intake import build_request
    from streams.settings import STAGES
    from streams.wiring import Resources, build_bindings

    result = RunResult()
    async with Resources.open(settings, list(STAGES)) as res:
        await asyncio.gather(*res.warm_up())
        by_input = {b.in_model: b.handler for b in build_bindings(res, list(STAGES))}

        async def one(q: Query) -> Outcome:
            began = time.perf_counter()
            status, degraded = "answer", False
            try:
                msg: Any = await build_request(settings, res.store, q.question, image=q.image,
                                               content_type="image/jpeg" if q.image else None)
                while not isinstance(msg, c.Answer | c.Failure):
                    msg = await by_input[type(msg)](msg)
                if isinstance(msg, c.Failure):
                    status = f"failure:{msg.reason}"
                degraded = bool(getattr(msg, "degraded", False))
            except Exception as exc:  # noqa: BLE001  (counted and printed)
                status = f"error:{type(exc).__name__}"
            done = time.perf_counter()
            return Outcome(q.kind, q.n, status, done - began, began, done, degraded, status == "answer")

        warm = plan(2, 2, "both", seed=99)
        for q in warm:
            q.question = q.question.replace("bq", "wq")
            await one(q)
        watch = ProcWatch({"direct": os.getpid()})
        watch.start()
        result.outcomes = await open_loop(queries, rate, one)
        watch.stop(result)
    return result


# -- the report ---------------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


#: The whole-run rate counts the first seconds, when no answer can exist yet (the seed's latencies are up to
#: 7 s), and the drain after the last send; the steady rate counts answers finished in between.
STEADY_FROM_S = 10.0


def steady_rate(rows: list[Outcome]) -> float | None:
    """Answers per second finished between ``STEADY_FROM_S`` after the first send and the last send."""
    start = min(o.sent_at for o in rows) + STEADY_FROM_S
    end = max(o.sent_at for o in rows)
    if end - start < 10.0:
        return None
    return sum(1 for o in rows if o.answered and start <= o.done_at <= end) / (end - start)


def summarise(name: str, run: RunResult, kinds: list[str]) -> dict[str, Any]:
    """Print one run's figures; return the overhead p50 per kind (ms)."""
    out: dict[str, Any] = {}
    print(f"== {name}")  # noqa: T201
    for kind in kinds:
        rows = [o for o in run.outcomes if o.kind == kind]
        if not rows:
            continue
        ok = [o for o in rows if o.answered]
        span = max(o.done_at for o in rows) - min(o.sent_at for o in rows)
        e2e = [o.e2e_s * 1000 for o in ok]
        over = [(o.e2e_s - run.model_s.get(mark(o.n), 0.0)) * 1000 for o in ok]
        out[kind] = pct(over, 0.5)
        print(f"  {kind}: {len(rows)} sent, {len(ok)} answered, {len(ok) / span:.1f} answers/s; "  # noqa: T201
              f"degraded {sum(o.degraded for o in ok)}; statuses {dict(Counter(o.status for o in rows))}")
        refused = sorted({o.status for o in rows if not o.answered})
        for status in refused:  # a refusal must come at once, not after a wait
            took = [o.e2e_s * 1000 for o in rows if o.status == status]
            print(f"    {status}: answered in p50 {pct(took, .5):.1f} / p99 {pct(took, .99):.1f} ms")  # noqa: T201
        if (steady := steady_rate(rows)) is not None:
            print(f"    steady: {steady:.1f} answers/s (answers finished from {STEADY_FROM_S:.0f} s until "  # noqa: T201
                  "the last query was sent; the start's model-time ramp and the end's drain left out)")
        print(f"    e2e      p50 {pct(e2e, .5):7.1f}  p95 {pct(e2e, .95):7.1f}  p99 {pct(e2e, .99):7.1f} ms")  # noqa: T201
        model = statistics.fmean(run.model_s.get(mark(o.n), 0.0) for o in ok) * 1000 if ok else 0.0
        print(f"    overhead p50 {pct(over, .5):7.1f}  p95 {pct(over, .95):7.1f}  p99 {pct(over, .99):7.1f} ms "  # noqa: T201
              f"(model time at the fake: mean {model:.1f} ms)")
    total_cpu = sum(run.cpu_s.values())
    print(f"  CPU {total_cpu:.2f} s in all = {total_cpu / max(1, len(run.outcomes)) * 1000:.1f} ms per query")  # noqa: T201
    for proc in sorted(run.cpu_s):
        print(f"    {proc:<22} CPU {run.cpu_s[proc]:7.2f} s   peak RSS {run.peak_rss_mb.get(proc, 0):7.0f} MB")  # noqa: T201
    if run.prom is not None:
        run.prom.report()
    return out
