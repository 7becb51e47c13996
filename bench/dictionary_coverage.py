"""How much of the national item dictionary the knowledge base answers, and where it lands.

Usage::

    .venv/bin/python bench/dictionary_coverage.py                  # summary + per-category table
    .venv/bin/python bench/dictionary_coverage.py --failing        # also list every name not right
    .venv/bin/python bench/dictionary_coverage.py --code 금속류 --failing   # one ministry category
    .venv/bin/python bench/dictionary_coverage.py --cases          # "it depends" entries missing a case

Each of the 730 names is asked as "<name> 어떻게 버려요?" through the resolver (the offline path of
``bunri ask``). *Right* means it lands on a document whose default code is one of the codes the ministry
lists for it; *cases complete* means every code the ministry lists is the document's default or one of its
case conditions (docs/rules-format.md, "It depends" items).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streams.rules import RulesCatalog  # noqa: E402
from streams.rules.dictionary import DICTIONARY_FILE, coverage, load_dictionary  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-dir", type=Path, default=ROOT / "rules")
    parser.add_argument("--code", help="only entries whose first ministry code is this")
    parser.add_argument("--failing", action="store_true", help="list the names that are not right")
    parser.add_argument("--cases", action="store_true", help="list 'it depends' entries missing a case")
    args = parser.parse_args(argv)
    out = sys.stdout.write
    catalog = RulesCatalog.load(args.rules_dir)
    entries = load_dictionary(args.rules_dir / DICTIONARY_FILE)
    if args.code:
        entries = [e for e in entries if e.codes and e.codes[0] == args.code]
    report = coverage(catalog, entries)
    rows = report.rows
    several = [r for r in rows if r.entry.several]
    out(f"dictionary names: {len(rows)}; resolved {report.resolved}; right {report.right} "
        f"({report.right / max(len(rows), 1):.1%}); 'it depends' {len(several)}, cases complete "
        f"{sum(r.cases_complete for r in several if r.resolved)}\n")
    total: Counter[str] = Counter(r.entry.codes[0] if r.entry.codes else "-" for r in rows)
    right: Counter[str] = Counter(r.entry.codes[0] if r.entry.codes else "-" for r in rows if r.right)
    out(f"{'ministry code':<16}{'right':>7}{'total':>7}\n")
    for code, n in total.most_common():
        out(f"{code:<16}{right[code]:>7}{n:>7}\n")
    if args.failing:
        for r in report.wrong():
            got = f"{r.item_id} ({r.code})" if r.resolved else "no document / asked back"
            out(f"  ✗ {r.entry.name}  want {'/'.join(r.entry.codes)}  got {got}\n")
    if args.cases:
        for r in several:
            if r.resolved and not r.cases_complete:
                have = {r.code, *r.case_codes}
                missing = [c for c in r.entry.codes if c not in have]
                out(f"  ~ {r.entry.name}  {r.item_id}: missing case(s) {', '.join(missing)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
