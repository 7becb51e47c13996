"""Issue 17's first done-when, as a user runs it: `bunri ask --region …` (embedded broker and stages)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _bunri(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KAFKA_BOOTSTRAP", "BUNRI_SERVER_URL") and not k.startswith("BUNRI_PUBLICDATA__")}
    env["BUNRI_DATA_DIR"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "streams.cli.main", "ask", "--embedded", *args],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=180)


def test_the_cli_region_flag(tmp_path: Path) -> None:
    done = _bunri(tmp_path, "--region", "강남구", "단독주택인데 투명 페트병 언제 내요?")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "목요일" in done.stdout and "강남구 단독주택" in done.stdout and "지역: 서울특별시 강남구" in done.stdout
    asked = _bunri(tmp_path, "--region", "중구", "단독주택인데 투명 페트병 언제 내요?")
    assert asked.returncode == 0 and "어느 시·도의 중구인가요?" in asked.stdout
    wrong = _bunri(tmp_path, "--region", "역삼동 123", "우유팩")
    assert wrong.returncode == 2 and "invalid_input" in wrong.stderr and "역삼" not in wrong.stderr
