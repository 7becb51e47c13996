"""Fixtures for the chart tests: the real helm binary, `helm template`/`helm lint` runners.

helm is looked up as: $HELM_BIN, else .venv/bin/helm, else `helm` on PATH. Without one the
tests fail (never skip): run `python scripts/install_helm.py` (or `make helm`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "bunri"
HELM_VERSION = "v4.1.4"
#: The Kubernetes version the chart is rendered for (`--kube-version`) and validated against
#: (kubernetes-validate's strict schemas).
KUBE_VERSION = "1.33.0"
RELEASE = "bunri"
#: Default values ("" = none) plus every ci/*-values.yaml: the render/lint matrix.
VALUES_FILES: list[str] = [""] + sorted(
    str(p.relative_to(CHART)) for p in (CHART / "ci").glob("*-values.yaml")
)
INSTALL_HINT = "run `python scripts/install_helm.py` (or `make helm`), or point HELM_BIN at a helm v4 binary"


def _find_helm() -> tuple[Path | None, bool]:
    """Return (path, explicitly chosen)."""
    env = os.environ.get("HELM_BIN")
    if env:
        return Path(env), True
    venv_helm = REPO / ".venv" / "bin" / "helm"
    if venv_helm.is_file():
        return venv_helm, False
    on_path = shutil.which("helm")
    return (Path(on_path) if on_path else None), False


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    path, explicit = _find_helm()
    if path is None or not path.is_file() or not os.access(path, os.X_OK):
        where = path or "$HELM_BIN, .venv/bin/helm and PATH"
        pytest.fail(f"no executable helm found ({where}): {INSTALL_HINT}", pytrace=False)
    version = subprocess.run(  # noqa: S603 - the helm binary chosen above, no shell
        [str(path), "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not explicit and version != HELM_VERSION:
        pytest.fail(
            f"{path} is helm {version!r}, the tests pin {HELM_VERSION}: {INSTALL_HINT}", pytrace=False
        )
    return path


@dataclass(frozen=True)
class Doc:
    """One rendered manifest and the template it came from."""

    source: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


@dataclass(frozen=True)
class Render:
    text: str
    docs: list[Doc] = field(default_factory=list)

    def kinds(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d.kind == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d.obj for d in self.docs if d.kind == kind and d.name == name]
        assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
        return found[0]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        found = [d.obj for d in self.docs if d.kind == kind and d.name == name]
        return found[0] if found else None

    def pod_specs(self) -> Iterator[tuple[Doc, dict[str, Any]]]:
        """Every pod spec: Deployments' and Jobs' templates and bare Pods (the helm test)."""
        for d in self.docs:
            if d.kind in ("Deployment", "Job"):
                yield d, d.obj["spec"]["template"]["spec"]
            elif d.kind == "Pod":
                yield d, d.obj["spec"]


_SOURCE = re.compile(r"^# Source: (\S+)", re.MULTILINE)


def parse_render(text: str) -> Render:
    docs: list[Doc] = []
    for chunk in re.split(r"^---\s*$", text, flags=re.MULTILINE):
        obj = yaml.safe_load(chunk)
        if not obj:
            continue
        match = _SOURCE.search(chunk)
        docs.append(Doc(source=match.group(1) if match else "", obj=obj))
    return Render(text=text, docs=docs)


class Helm:
    """`helm template` and `helm lint` on the chart, with an isolated helm home."""

    def __init__(self, binary: Path, home: Path) -> None:
        self.binary = binary
        self.env = {
            **os.environ,
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the helm binary, fixed arguments, no shell
            [str(self.binary), *args], capture_output=True, text=True, env=self.env, cwd=CHART, check=False
        )

    @staticmethod
    def _value_args(values: str | Iterable[str], sets: Iterable[str]) -> list[str]:
        files = [values] if isinstance(values, str) else list(values)
        args: list[str] = []
        for f in files:
            if f:
                args += ["-f", f]
        for s in sets:
            args += ["--set", s]
        return args

    def template_raw(
        self, values: str | Iterable[str] = "", sets: Iterable[str] = (), namespace: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        args = ["template", RELEASE, str(CHART), "--kube-version", KUBE_VERSION]
        if namespace:
            args += ["--namespace", namespace]
        return self.run(*args, *self._value_args(values, sets))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - session-scoped object
    def template(self, values: str = "", sets: tuple[str, ...] = (), namespace: str | None = None) -> Render:
        proc = self.template_raw(values, sets, namespace)
        assert proc.returncode == 0, f"helm template failed:\n{proc.stderr}"
        return parse_render(proc.stdout)

    def lint(
        self, values: str | Iterable[str] = "", sets: Iterable[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        return self.run("lint", str(CHART), "--strict", *self._value_args(values, sets))


@pytest.fixture(scope="session")
def helm(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(helm_bin, tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def default_render(helm: Helm) -> Render:
    return helm.template()


@pytest.fixture(params=VALUES_FILES, ids=lambda v: v or "defaults")
def values_file(request: pytest.FixtureRequest) -> str:
    """Each entry of the render/lint matrix: "" (chart defaults) and every ci/*-values.yaml."""
    return str(request.param)


@pytest.fixture
def render(helm: Helm, values_file: str) -> Render:
    return helm.template(values_file)
