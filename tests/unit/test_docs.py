"""README and --help stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from streams.cli.main import build_parser
from streams.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            names += _env_names(type(default), f"{prefix}{name.upper()}__")
        elif field.validation_alias is not None:
            names.append(field.validation_alias.choices[0])  # type: ignore[union-attr]
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    missing = []
    for env in _env_names(Settings, "BUNRI_"):
        group, _, leaf = env.rpartition("__")
        rows = [line for line in README.splitlines() if line.startswith("|") and (group or env) in line]
        pattern = rf"(?:__|[{{,\s`]){re.escape(leaf)}(?![A-Za-z0-9_])"
        if not any(re.search(pattern, row) for row in rows):
            missing.append(env)
    assert not missing, f"README settings table lacks: {missing}"


def test_every_command_in_help_is_in_the_readme() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]  # noqa: SLF001
    assert set(commands) >= {"ask", "serve", "worker", "scheduler", "gateway", "topics", "schemas", "rules",
                             "fake-llm"}
    for command in commands:
        assert f"`bunri {command}" in README, command


def test_quick_start_is_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [["make", "demo"], ["make", "test"]]
