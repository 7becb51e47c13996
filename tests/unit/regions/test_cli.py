"""`bunri regions resolve` and `bunri regions schedule`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.cli.main import main
from tests.unit.regions.conftest import row


def test_resolve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "resolve", "서울", "강남구"]) == 0
    assert capsys.readouterr().out == "11680\t서울특별시 강남구\n"
    assert main(["regions", "resolve", "인천", "중구"]) == 0
    out = capsys.readouterr().out
    assert "28125\t인천광역시 제물포구" in out and "ambiguous: 2" in out and "제물포구·영종구예요" in out
    assert main(["regions", "resolve", "역삼동"]) == 1


def test_schedule_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([row("서울특별시", "마포구")], ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("BUNRI_PUBLICDATA__FILE", str(path))
    monkeypatch.setenv("BUNRI_DATA_DIR", str(tmp_path / "data"))
    assert main(["regions", "schedule", "마포구"]) == 0
    assert capsys.readouterr().out.startswith("마포구 재활용품: 월·수 18:00~24:00")
    monkeypatch.delenv("BUNRI_PUBLICDATA__FILE")
    assert main(["regions", "schedule", "마포구"]) == 1
    assert "BUNRI_PUBLICDATA__SERVICE_KEY" in capsys.readouterr().out
