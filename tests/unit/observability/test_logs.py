"""BUNRI_LOG_LEVEL and BUNRI_LOG_FORMAT: the level in force, JSON lines with the message context."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from streams.observability.logs import LogSettings, configure_logging, log_context, resolve_level

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def restore_root() -> Iterator[None]:
    """configure_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in ("aiokafka", "faust", "mode", "kafka")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lvl in noisy.items():
        logging.getLogger(name).setLevel(lvl)


def test_json_lines_carry_the_message_context(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(LogSettings(log_level="INFO", log_format="json"), stream=out)
    log = logging.getLogger("streams.test")
    with log_context(query_id="q-1", stage="rag", topic="q.rag", partition=3, offset=41):
        log.warning("no rule for %s", "우유팩")
    log.info("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "no rule for 우유팩" and first["level"] == "WARNING"
    assert first["logger"] == "streams.test" and "time" in first
    assert (first["query_id"], first["stage"], first["topic"], first["partition"], first["offset"]) == (
        "q-1", "rag", "q.rag", 3, 41)
    assert "query_id" not in second and second["message"] == "outside"


def test_context_nests_and_extra_wins(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(LogSettings(log_format="json"), default=logging.DEBUG, stream=out)
    with log_context(stage="gpt5"), log_context(query_id="q-2"):
        logging.getLogger("x").error("boom", extra={"stage": "explicit"})
    line = json.loads(out.getvalue())
    assert line["query_id"] == "q-2" and line["stage"] == "explicit"


def test_text_is_the_default_format(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(LogSettings(), default=logging.INFO, stream=out)
    with log_context(query_id="q-3"):
        logging.getLogger("y").info("hello")
    assert out.getvalue().rstrip().endswith("INFO y: hello")


def test_level_from_the_environment_then_verbosity() -> None:
    assert resolve_level(LogSettings(), default=logging.WARNING) == logging.WARNING
    assert resolve_level(LogSettings(log_level="error"), default=logging.INFO) == logging.ERROR
    assert resolve_level(LogSettings(log_level="ERROR"), default=logging.INFO, verbose=1) == logging.INFO
    assert resolve_level(LogSettings(), default=logging.WARNING, verbose=2) == logging.DEBUG
    with pytest.raises(ValidationError):
        LogSettings(log_level="LOUD")
    with pytest.raises(ValidationError):
        LogSettings(log_format="xml")  # type: ignore[arg-type]


def test_libraries_stay_quiet_unless_debug(restore_root: None) -> None:
    configure_logging(LogSettings(log_level="INFO"), stream=io.StringIO())
    assert logging.getLogger("aiokafka").level == logging.WARNING
    configure_logging(LogSettings(log_level="DEBUG"), stream=io.StringIO())
    assert logging.getLogger("faust").level == logging.DEBUG


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BUNRI_LOG")}
    # main() sets logging up, runs the command, and the probe logs one line at INFO and one at WARNING.
    code = ("import logging, sys; from streams.cli.main import main; rc = main(sys.argv[1:]); "
            "logging.getLogger('probe').info('info-line'); logging.getLogger('probe').warning('warn-line'); "
            "sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,  # noqa: S603
                          env={**base, **env}, cwd=ROOT, timeout=60, check=False)


def test_the_cli_honours_bunri_log_level_and_format() -> None:
    quiet = _cli("schemas")  # a one-shot command: WARNING by default
    assert "warn-line" in quiet.stderr and "info-line" not in quiet.stderr
    loud = _cli("schemas", BUNRI_LOG_LEVEL="INFO", BUNRI_LOG_FORMAT="json")
    lines = [json.loads(line) for line in loud.stderr.splitlines() if line.startswith("{")]
    assert {"info-line", "warn-line"} <= {line["message"] for line in lines}
    bad = _cli("schemas", BUNRI_LOG_LEVEL="LOUD")
    assert bad.returncode == 2 and "unknown log level" in bad.stderr
