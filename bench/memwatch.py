"""Peak memory of each `bunri worker` process and of its children (the image pool), as a pod counts it.

``bench/load.py`` prints peak RSS per process, and for a worker's children the sum of their RSS, which
counts the pages they share with their fork server once per process. A container's memory counts each
page once: the proportional set size (PSS, from ``/proc/<pid>/smaps_rollup``) adds up to that. Run this
beside a load run; it samples every worker whose environment has ``BUNRI_DATA_DIR=<data dir>`` every
0.25 s until the time is up or it gets SIGTERM/SIGINT, then prints one line per stage:

    .venv/bin/python bench/memwatch.py --data-dir /tmp/bench-data --seconds 300 &
    .venv/bin/python bench/load.py --mix photo --rate 20 --duration 30 --latency 0 --env BUNRI_DATA_DIR=/tmp/bench-data

Peaks are of sampled values (RSS: the kernel's high-water mark too), in MiB.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def _rollup(pid: int) -> dict[str, float] | None:
    try:
        lines = (PROC / str(pid) / "smaps_rollup").read_text().splitlines()
    except OSError:  # gone between listing and reading
        return None
    fields = {p[0].rstrip(":"): int(p[1]) / 1024 for p in (line.split() for line in lines[1:]) if len(p) >= 2}
    return {"rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0),
            "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def _hwm(pid: int) -> float:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")), 0.0)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *_descendants(kid)]
    return found


def _workers(data_dir: str) -> dict[str, int]:
    """stage -> pid of each `bunri worker --stage X` started with this data dir."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            env = (entry / "environ").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "worker" in cmd and "--stage" in cmd and f"BUNRI_DATA_DIR={data_dir}" in env:
            found[cmd[cmd.index("--stage") + 1]] = int(entry.name)
    return found


def watch(data_dir: str, seconds: float) -> dict[str, dict[str, float]]:
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    peak: dict[str, dict[str, float]] = collections.defaultdict(lambda: collections.defaultdict(float))
    end = time.monotonic() + seconds
    while not stop and time.monotonic() < end:
        for stage, pid in _workers(data_dir).items():
            me = _rollup(pid)
            if me is None:
                continue
            kids = [k for k in map(_rollup, _descendants(pid)) if k is not None]
            sample = {"rss": max(me["rss"], _hwm(pid)), "pss": me["pss"], "children": len(kids),
                      "children_pss": sum(k["pss"] for k in kids), "children_rss": sum(k["rss"] for k in kids),
                      "child_uss": max((k["uss"] for k in kids), default=0.0)}
            sample["pod_pss"] = me["pss"] + sample["children_pss"]
            for key, value in sample.items():
                peak[stage][key] = max(peak[stage][key], value)
        time.sleep(0.25)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="the BUNRI_DATA_DIR the workers were started with")
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long (default 600)")
    args = parser.parse_args()
    peak = watch(os.path.abspath(args.data_dir), args.seconds)
    print("stage        worker RSS  worker PSS  children  children RSS  children PSS  max child USS  pod PSS (MiB)")  # noqa: T201
    for stage, p in sorted(peak.items()):
        print(f"{stage:<12} {p['rss']:10.1f}  {p['pss']:10.1f}  {p['children']:8.0f}  {p['children_rss']:12.1f}  "  # noqa: T201
              f"{p['children_pss']:12.1f}  {p['child_uss']:13.1f}  {p['pod_pss']:13.1f}")


if __name__ == "__main__":
    main()
