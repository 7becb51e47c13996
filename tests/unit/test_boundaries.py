"""Module boundaries from the house style, checked on the source (no import-linter plugin needed)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_contracts_import_only_pydantic_and_stdlib() -> None:
    assert _top(_imports(ROOT / "streams" / "contracts.py")) <= STDLIB | {"pydantic"}


@pytest.mark.parametrize("path", sorted((ROOT / "streams" / "stages").glob("*.py")), ids=lambda p: p.name)
def test_stage_handlers_have_no_kafka_and_no_sdk(path: Path) -> None:
    forbidden = {"faust", "aiokafka", "mode", "openai", "boto3"}
    assert not (_top(_imports(path)) & forbidden), f"{path.name} imports {_top(_imports(path)) & forbidden}"


def test_only_the_openai_module_imports_openai() -> None:
    users = {p.relative_to(ROOT).as_posix() for p in (ROOT / "streams").rglob("*.py") if "openai" in _top(_imports(p))}
    assert users <= {"streams/llm/openai_compat.py", "streams/llm/factory.py"}, users


def test_importing_streams_and_contracts_does_not_import_faust() -> None:
    code = "import sys, streams, streams.contracts, streams.settings; print('faust' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    assert out.stdout.strip() == "False"
