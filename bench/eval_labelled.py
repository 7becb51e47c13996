"""Category accuracy of the offline path on the labelled questions.

Usage::

    .venv/bin/python bench/eval_labelled.py [PATH_OR_GLOB ...] [--rules-dir rules] [--all]
    .venv/bin/python bench/eval_labelled.py tests/data/heldout/heldout.jsonl
    .venv/bin/python bench/eval_labelled.py 'tests/data/labelled/a_*.jsonl'

Each argument is a directory (all its ``*.jsonl``), a file, or a glob; the default is
``tests/data/labelled``. Prints the per-category table (by the first accepted category), the overall
accuracy, and the misclassified questions with what the offline path answered (``--all`` also lists
the right ones).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.rules import RulesCatalog  # noqa: E402
from streams.rules.evaluate import evaluate, labelled_files, load_labelled, reliability  # noqa: E402


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("paths", nargs="*", metavar="PATH_OR_GLOB",
                        help="directory, .jsonl file or glob (default: tests/data/labelled)")
    parser.add_argument("--labelled", type=Path, help=argparse.SUPPRESS)  # the old spelling
    parser.add_argument("--all", action="store_true", help="also list the questions answered right")
    args = parser.parse_args(argv)
    out = sys.stdout.write
    catalog = RulesCatalog.load(args.rules_dir)
    paths = [*args.paths, *([args.labelled] if args.labelled else [])]
    paths = paths or [ROOT / "tests" / "data" / "labelled"]
    files = [f for p in paths for f in labelled_files(p)]
    if not files:
        parser.error(f"no .jsonl files match {', '.join(map(str, paths))}")
    cases = [c for f in dict.fromkeys(files) for c in load_labelled(f)]
    started = time.perf_counter()
    report = evaluate(catalog, cases)
    elapsed = time.perf_counter() - started
    out(f"rules {catalog.version}: {len(catalog.items)} items; {len(cases)} questions from "
        f"{', '.join(_shown(f) for f in dict.fromkeys(files))}\n\n")
    out(report.table() + "\n\n")
    out(f"reliability (answers only; {sum(o.category is None for o in report.outcomes)} clarifications):\n")
    out(f"  {'confidence':<14}{'answers':>8}{'right':>8}\n")
    for label, n, share in reliability(report.outcomes):
        out(f"  {label:<14}{n:>8}{share:>8.1%}\n")
    out("\n")
    wrong = report.wrong()
    out(f"misclassified: {len(wrong)}\n")
    for o in wrong:
        got = o.category or "(clarification)"
        out(f"  {o.case.id:<6} {o.case.question}\n         expected {'/'.join(o.case.accepted)} "
            f"(item {o.case.item_id}); got {got} via {o.item_id or '-'} [{o.match} {o.confidence:.2f}]\n")
    if args.all:
        for o in report.outcomes:
            if o.correct:
                via = o.item_id or "-"
                out(f"  ok {o.case.id:<6} {o.case.question} -> {o.category} via {via} [{o.match}]\n")
    out(f"\noffline path: {elapsed / max(len(cases), 1) * 1000:.2f} ms per question "
        "(resolve + analyse + apply)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
