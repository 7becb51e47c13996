"""The browser test's needs: Debian's Chromium (never a browser download) and Playwright's Python package.

Where either is missing the test cannot run: with ``BUNRI_REQUIRE_BROWSER=1`` (CI sets it) that is a
failure; otherwise it is skipped, and the end of the test run says so in a banner, never silently.
The screenshots' paths are printed at the end of the run too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import kafka_bootstrap  # noqa: F401  (the session's broker fixture)

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots land here (gitignored); BUNRI_ARTIFACTS_DIR moves them.
ARTIFACTS = Path(os.environ.get("BUNRI_ARTIFACTS_DIR") or ROOT / ".artifacts") / "browser"
INSTALL_HINT = "install Debian's chromium (`apt-get install chromium`, as .ci/run does) and `pip install -e '.[test]'`"

_not_run: list[str] = []
_screenshots: list[Path] = []


def chromium_executable() -> str | None:
    """BUNRI_CHROMIUM when set (and nothing else), else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    explicit = os.environ.get("BUNRI_CHROMIUM")
    candidates = [explicit] if explicit else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    missing = []
    path = chromium_executable()
    if path is None:
        missing.append("no Chromium executable (BUNRI_CHROMIUM, else /usr/bin/chromium or chromium on PATH)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed")
    if missing:
        reason = "; ".join(missing) + f": {INSTALL_HINT}"
        if os.environ.get("BUNRI_REQUIRE_BROWSER"):
            pytest.fail(f"the browser test cannot run: {reason}", pytrace=False)
        _not_run.append(reason)
        pytest.skip(f"BROWSER TEST DID NOT RUN: {reason}")
    assert path is not None
    return path


@pytest.fixture
def screenshot_path() -> Any:
    def path(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / name
        _screenshots.append(target)
        return target

    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for shot in _screenshots:
        if shot.exists():
            terminalreporter.write_line(f"browser test screenshot: {shot}")
    if _not_run:
        terminalreporter.write_sep("!", "THE BROWSER END-TO-END TEST DID NOT RUN", red=True, bold=True)
        for reason in dict.fromkeys(_not_run):
            terminalreporter.write_line(f"  {reason}", red=True)
        terminalreporter.write_sep("!", "", red=True, bold=True)
