"""``bunri rules``: validate the rules documents, try the resolver, count what is there.

Subcommands::

    bunri rules check            # validate everything; exit 1 listing every problem
    bunri rules search TEXT      # ranked matches (score, match kind) and the state read from TEXT
    bunri rules stats            # documents, resolvable names, per-category counts

The rules directory is ``--rules-dir`` (here or on the main parser) or ``Settings().rules_dir``.
Also runnable on its own: ``python -m streams.cli.rules_cmd check``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from streams.rules import RulesCatalog, RulesError

__all__ = ["add_parser", "main"]


def add_parser(subparsers: Any) -> None:
    """Register ``rules`` and its subcommands on the main CLI's subparsers."""
    parser = subparsers.add_parser("rules", help="validate, search and count the rules documents")
    _configure(parser)


def _configure(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subparser default would otherwise overwrite a --rules-dir given to the main parser.
    parser.add_argument("--rules-dir", type=Path, default=argparse.SUPPRESS,
                        help="rules directory (default: BUNRI_RULES_DIR or the repository's rules/)")
    sub = parser.add_subparsers(dest="rules_command", required=True)
    check = sub.add_parser("check", help="validate every document; exit 1 listing all problems")
    check.set_defaults(func=run_check)
    search = sub.add_parser("search", help="resolve free text and show ranked matches")
    search.add_argument("text", nargs="+", help="the question or item name (Korean)")
    search.set_defaults(func=run_search)
    stats = sub.add_parser("stats", help="documents, names and per-category counts")
    stats.set_defaults(func=run_stats)


def _rules_dir(args: argparse.Namespace) -> Path:
    given = getattr(args, "rules_dir", None)
    if given is not None:
        return Path(given)
    from streams.settings import Settings

    return Settings().rules_dir


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _load(args: argparse.Namespace, *, warm: bool = False) -> RulesCatalog | None:
    path = _rules_dir(args)
    try:
        return RulesCatalog.load(path, warm=warm)
    except RulesError as exc:
        sys.stderr.write(f"{path}: {len(exc.problems)} problem(s)\n")
        for problem in exc.problems:
            sys.stderr.write(f"  - {problem}\n")
        return None


def run_check(args: argparse.Namespace) -> int:
    """Validate everything; print a summary, or every problem and return 1."""
    catalog = _load(args)
    if catalog is None:
        return 1
    s = catalog.stats()
    _out(f"OK {catalog.path}: {s.items} item documents, {s.categories} category documents, "
         f"{len(catalog.documents('regions'))} district documents, "
         f"{s.names} names ({s.aliases} aliases), {s.conditions} conditions; version {catalog.version}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    """Print the resolver's reading of TEXT."""
    catalog = _load(args, warm=True)
    if catalog is None:
        return 1
    text = " ".join(args.text)
    started = time.perf_counter()
    res = catalog.resolve(text)
    elapsed = (time.perf_counter() - started) * 1000
    _out(f"text: {text}")
    for i, c in enumerate(res.candidates[:10], 1):
        ident = c.item_id or "(category)"
        _out(f"{i:>2}. {c.score:.3f}  {c.match:<8} {ident:<28} {c.name}  [{c.official_category}]")
    if not res.candidates:
        _out("    (no candidates)")
    _out(f"state: {res.state.known() or '{}'}")
    _out(f"category_hint: {res.category_hint}  ambiguous: {res.ambiguous}  "
         f"needs_clarification: {res.needs_clarification}")
    if len(res.mentions) > 1:
        _out("items named: " + ", ".join(f"{m.text}→{m.top.item_id or m.top.official_category}"
                                         for m in res.mentions))
    _out(f"resolved in {elapsed:.2f} ms")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    """Print document and name counts."""
    catalog = _load(args)
    if catalog is None:
        return 1
    s = catalog.stats()
    _out(f"item documents:       {s.items}")
    _out(f"category documents:   {s.categories}")
    _out(f"resolvable names:     {s.distinct_names} distinct after removing spaces "
         f"({s.names} written: {s.items} canonical + {s.aliases} aliases)")
    _out(f"conditions:           {s.conditions}")
    _out(f"region-dependent:     {s.region_dependent}")
    _out(f"low confidence:       {s.low_confidence}")
    _out("routes:               " + ", ".join(f"{k} {v}" for k, v in s.routes.items()))
    _dictionary(catalog)
    _out("per category:")
    for code, count in s.per_category.items():
        _out(f"  {code:<12} {count:>4}")
    _out(f"version:              {catalog.version}")
    return 0


def _dictionary(catalog: RulesCatalog) -> None:
    """Coverage of the national item dictionary, when the rules directory has it."""
    from streams.rules.dictionary import DICTIONARY_FILE, coverage, load_dictionary

    path = (catalog.path or Path()) / DICTIONARY_FILE
    if not path.is_file():
        _out(f"dictionary coverage:  ({path} not found)")
        return
    report = coverage(catalog, load_dictionary(path))
    several = [r for r in report.rows if r.entry.several and r.resolved]
    _out(f"dictionary coverage:  {report.right} / {len(report.rows)} names resolve to the right category "
         f"({report.resolved} resolve at all); 'it depends' entries with every case stated: "
         f"{sum(r.cases_complete for r in several)} / {sum(r.entry.several for r in report.rows)}")


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point (``python -m streams.cli.rules_cmd``)."""
    parser = argparse.ArgumentParser(prog="bunri rules")
    _configure(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
