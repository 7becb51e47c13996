"""The image recipe (Dockerfile, .dockerignore), NOTES.txt and the helm installer.

No Docker engine or base image is reachable here, so the Dockerfile is checked as text: what it
must say for the chart's assumptions (non-root UID, entry point, rules dir, data dir) to hold.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.helm

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "bunri"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_dockerfile_builds_from_python_slim_and_installs_the_package() -> None:
    ins = dockerfile_instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in ins
    assert all(rest.startswith("${PYTHON_IMAGE}") for op, rest in ins if op == "FROM")
    assert any(op == "RUN" and re.search(r"pip install \.$", rest) for op, rest in ins)
    copied = {
        src for op, rest in ins if op == "COPY" and not rest.startswith("--from") for src in rest.split()[:-1]
    }
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    for pattern in packages:  # every top-level package the wheel includes is in the build context
        assert pattern.rstrip("*") in copied, f"Dockerfile does not COPY {pattern}"
    assert pyproject["project"].get("readme", "README.md") in copied


def test_runtime_stage_runs_bunri_as_the_charts_non_root_user() -> None:
    runtime = final_stage(dockerfile_instructions())
    users = [rest for op, rest in runtime if op == "USER"]
    assert users, "the runtime stage sets USER"
    uid, _, gid = users[-1].partition(":")
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert int(uid) == values["podSecurityContext"]["runAsUser"] != 0
    assert int(gid) == values["podSecurityContext"]["runAsGroup"]
    assert ("ENTRYPOINT", '["bunri"]') in runtime
    env = " ".join(rest for op, rest in runtime if op == "ENV")
    rules_dir = re.search(r"BUNRI_RULES_DIR=(\S+)", env)
    assert rules_dir, "the image sets BUNRI_RULES_DIR"
    assert any(
        op == "COPY" and rest.split()[0] == "rules" and rest.split()[-1] == rules_dir.group(1)
        for op, rest in runtime
    )
    data_dir = re.search(r"BUNRI_DATA_DIR=(\S+)", env)
    assert data_dir and data_dir.group(1) == values["store"]["dataDir"]
    assert ("WORKDIR", data_dir.group(1)) in runtime, "relative writes land in the writable data dir"


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [
        x.strip()
        for x in (REPO / ".dockerignore").read_text().splitlines()
        if x.strip() and not x.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: everything is excluded first"
    assert {"!pyproject.toml", "!streams/", "!gateway/", "!rules/"} <= set(lines)


def test_notes_warn_about_idle_replicas(helm: Any) -> None:
    proc = helm.run("install", "bunri", str(CHART), "--dry-run=client", "--set", "stages.rag.replicaCount=6")
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout.split("NOTES:", 1)[1]
    assert "WARNING: rag has 6 replicas but its topic has 4 partitions" in notes
    assert "kubectl label node <worker-1-node> workload=async-workers bunri.io/pool=worker-1" in notes
    assert "gpt5       5 x 20 = 100 in flight; 10 partitions" in notes


def test_install_script_is_a_no_op_when_helm_is_pinned(helm_bin: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import install_helm
    finally:
        sys.path.pop(0)
    if install_helm.sha256_file(helm_bin) != install_helm.HELM_SHA256:
        pytest.fail(
            f"{helm_bin} is not the pinned helm {install_helm.HELM_VERSION}: "
            "run `python scripts/install_helm.py`",
            pytrace=False,
        )
    proc = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, str(REPO / "scripts" / "install_helm.py"), "--dest", str(helm_bin)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "already helm v4.1.4" in proc.stderr
