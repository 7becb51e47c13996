"""How the written answers read, over labelled questions: the reviewer's complaint classes, counted.

Usage::

    .venv/bin/python bench/answer_quality.py                                  # tests/data/labelled + held-out
    .venv/bin/python bench/answer_quality.py tests/data/heldout/heldout3.jsonl --show 5

For every question the offline path answers (``analyse_text`` → rag ``lookup`` → ``write_answer``; the
model path sends the same draft to the model and checks what comes back), it prints: the share of answers
with a repeated step, the share of yes/no questions answered with 네/아니요 in the first sentence, the count
of official category codes in the prose (streams/compose/quality.py lists which), the share of answers with a
step the item's rules do not select (boilerplate), the share over five steps, and the median and 90th
percentile length in characters, single-item and multi-item answers apart. Clarification questions are left
out (they are not answers).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402

from streams.compose.quality import (  # noqa: E402
    answered_directly,
    boilerplate_steps,
    codes_in_prose,
    has_repeated_step,
    numbered_steps,
)
from streams.offline import analyse_text, write_answer  # noqa: E402
from streams.rules import RulesCatalog  # noqa: E402
from streams.rules.evaluate import labelled_files, load_labelled  # noqa: E402
from streams.stages.rag import lookup  # noqa: E402
from tests.unit.rules.test_rag import make_query  # noqa: E402


def _pct(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.1%} ({sum(values)}/{len(values)})" if values else "–"


def _p90(values: list[int]) -> int:
    return sorted(values)[min(len(values) - 1, int(0.9 * len(values)))] if values else 0


async def _answers(catalog: RulesCatalog, questions: list[str]) -> list[tuple[str, str, list]]:
    out = []
    for q in tqdm(questions, desc="answers", unit="q", file=sys.stderr):
        analysis = analyse_text(q, catalog)
        if analysis.needs_clarification:
            continue
        ctx = await lookup(make_query(q, [], analysis=analysis), catalog=catalog)
        out.append((q, write_answer(ctx, image_attached=False), ctx.guidance))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="labelled .jsonl files, directories or globs")
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("--show", type=int, default=0, help="print this many answers of each failing class")
    args = parser.parse_args(argv)
    paths = args.paths or [ROOT / "tests" / "data" / "labelled", ROOT / "tests" / "data" / "heldout"]
    files = [f for p in paths for f in labelled_files(p)]
    questions = list(dict.fromkeys(c.question for f in files for c in load_labelled(f)))
    catalog = RulesCatalog.load(args.rules_dir)
    rows = asyncio.run(_answers(catalog, questions))
    single = [r for r in rows if len(r[2]) == 1]
    multi = [r for r in rows if len(r[2]) > 1]
    repeated = [has_repeated_step(a) for _, a, _ in rows]
    direct = [d for q, a, _ in rows if (d := answered_directly(a, q)) is not None]
    boiler = [bool(boilerplate_steps(a, g)) for _, a, g in rows]
    long_lists = [len(numbered_steps(a)) > 5 for _, a, _ in single]
    codes = sum(codes_in_prose(a) for _, a, _ in rows)
    out = sys.stdout.write
    out(f"{len(questions)} questions from {len(files)} file(s); {len(rows)} answered "
        f"({len(questions) - len(rows)} clarifications left out); rules {catalog.version}\n")
    out(f"repeated step            {_pct(repeated)}\n")
    out(f"yes/no answered directly {_pct(direct)}\n")
    out(f"codes in prose           {codes}\n")
    out(f"boilerplate step         {_pct(boiler)}\n")
    out(f"more than 5 steps        {_pct(long_lists)}\n")
    for label, group in (("single-item", single), ("multi-item", multi)):
        lengths = [len(a) for _, a, _ in group]
        if lengths:
            out(f"length {label:<12}    median {statistics.median(lengths):.0f}, p90 {_p90(lengths)} "
                f"characters ({len(lengths)} answers)\n")
    if args.show:
        failing = {"repeated": [r for r, f in zip(rows, repeated, strict=True) if f],
                   "not direct": [r for r in rows if answered_directly(r[1], r[0]) is False],
                   "codes": [r for r in rows if codes_in_prose(r[1])]}
        for name, items in failing.items():
            for q, a, _ in items[: args.show]:
                out(f"\n--- {name}: {q}\n{a}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
