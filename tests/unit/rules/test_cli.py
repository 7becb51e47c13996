"""``bunri rules check|search|stats`` through argparse, as the main CLI wires it."""

from __future__ import annotations

import argparse

import pytest

from streams.cli import rules_cmd
from tests.unit.rules.conftest import RULES_DIR, RulesWriter, item_doc


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bunri")
    rules_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rules", "--rules-dir", str(RULES_DIR), "check"]) == 0
    assert capsys.readouterr().out.startswith("OK ")


def test_check_lists_every_problem(write_rules: RulesWriter, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_rules(items=[item_doc("a", official_category="x"), ("b", item_doc("c"))])
    assert run(["rules", "--rules-dir", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "a.json" in err and "b.json" in err


def test_search(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rules", "--rules-dir", str(RULES_DIR), "search", "뚜껑", "닫힌", "생수병"]) == 0
    out = capsys.readouterr().out
    assert "water_pet_bottle" in out and "exact" in out and "'lid': 'closed'" in out


def test_stats(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rules", "--rules-dir", str(RULES_DIR), "stats"]) == 0
    out = capsys.readouterr().out
    assert "resolvable names" in out and "무색페트병" in out and "low confidence" in out


def test_rules_dir_from_the_main_parser_survives(write_rules: RulesWriter,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = write_rules(items=[item_doc("cup", name="컵")])
    parser = argparse.ArgumentParser(prog="bunri")
    parser.add_argument("--rules-dir")
    rules_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--rules-dir", str(root), "rules", "check"])
    assert args.func(args) == 0 and "1 item documents" in capsys.readouterr().out
