"""Preprocess latency on one core: normalise() in-process, single thread, p50/p95 per image.

Run from the repository root::

    .venv/bin/python bench/preprocess_bench.py [--runs 30] [--cpu 0]

Images come from the test factory (tests/unit/preprocess/factory.py); the 12 MP HEIC takes a while
to encode (x265), so generated inputs are kept in a cache directory between runs. Target: 12 MP JPEG
p50 <= 60 ms. Cache-hit latency end to end through the gateway is measured by the gateway bench.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a script, not an installed package

from streams.imaging import normalise  # noqa: E402
from streams.settings import PreprocessSettings  # noqa: E402
from tests.unit.preprocess import factory  # noqa: E402

CASES: dict[str, Callable[[], bytes]] = {
    "JPEG 4000x3000 (12 MP, EXIF)": factory.jpeg_12mp,
    "HEIC 4032x3024 (12 MP)": factory.heic,
    "PNG 4000x3000": factory.png_12mp,
}


def _input(name: str, make: Callable[[], bytes], cache_dir: Path) -> bytes:
    path = cache_dir / ("-".join(name.split()[:2]).lower() + ".bin")
    if not path.exists():
        path.write_bytes(make())
    return path.read_bytes()


def _time(data: bytes, s: PreprocessSettings, runs: int) -> list[float]:
    kw = {"max_edge": s.max_edge, "jpeg_quality": s.jpeg_quality, "max_pixels": s.max_pixels}
    normalise(data, **kw)  # warm-up: plugin init, first-touch allocations
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        normalise(data, **kw)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to (Linux)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "bunri-bench")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})  # one core: libheif's decode threads share it too
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    s = PreprocessSettings()
    out = sys.stdout
    out.write(f"normalise(): max_edge={s.max_edge} quality={s.jpeg_quality}, {args.runs} runs, 1 core\n")
    out.write(f"{'input':32} {'bytes':>10} {'p50 ms':>8} {'p95 ms':>8} {'min ms':>8}\n")
    for name, make in CASES.items():
        data = _input(name, make, args.cache_dir)
        t = sorted(_time(data, s, args.runs))
        p95 = t[min(len(t) - 1, round(0.95 * (len(t) - 1)))]
        out.write(f"{name:32} {len(data):>10} {statistics.median(t):>8.1f} {p95:>8.1f} {t[0]:>8.1f}\n")


if __name__ == "__main__":
    main()
