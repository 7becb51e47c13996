"""The validated, indexed catalogue, cached on disk by a content hash of ``rules/``.

Reading ``rules/`` validates every document and builds the resolver's indexes; at ~1,100 documents
that is a few hundred milliseconds of CPU on every start of every process. The result depends only on
the rules files, the source legend (``docs/sources.md``) and the code that reads them, so the first
start pickles the finished :class:`~streams.rules.RulesCatalog` to
``<cache_dir>/rules-<key>.pickle`` and later starts unpickle it.

The key hashes the bytes of every rules file (and its path), the legend, and the source of
``streams/rules/*.py`` and ``streams/contracts.py``, with the Python and pydantic versions: editing a
document, the legend or the code yields a new key, so a stale snapshot is never read; it is pruned.
Only a catalogue that passed validation is ever written. ``bunri rules check`` does not use the cache:
content writers always get a full validation.

A snapshot is a pickle, so the cache directory must be as trusted as the code (it is the user's own
cache directory by default). An unreadable or unwritable cache is not an error: the catalogue is built
from ``rules/`` as before.

Example::

    catalog = load_catalog(settings.rules_dir, cache_dir=settings.rules_cache_dir)
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pydantic

from streams.rules.catalog import SUBFOLDER_LOADERS, RulesCatalog

__all__ = ["load_catalog", "snapshot_key"]

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the snapshot layout itself changes
KEEP = 4  # snapshots kept per cache directory (several checkouts or branches may share it)
_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "contracts.py")
#: The loader hooks' packages (rules/regions/ → streams/regions/): their code and data shape the catalogue too.
_HOOKS = tuple(Path(__file__).resolve().parents[2].joinpath(*t.partition(":")[0].split(".")[:2])
               for t in SUBFOLDER_LOADERS.values())


def snapshot_key(rules_dir: Path, sources_file: Path | None = None) -> str:
    """The content hash a snapshot of ``rules_dir`` is filed under."""
    root = Path(rules_dir)
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{pydantic.VERSION}\0".encode())
    code_dir, contracts = _CODE
    _feed(digest, code_dir, [*sorted(code_dir.glob("*.py")), contracts])
    for hook in _HOOKS:
        _feed(digest, hook, [*sorted(hook.glob("*.py")), *sorted(hook.glob("data/*"))])
    _feed(digest, root, [*sorted(root.glob("*.json")), *sorted((root / "categories").glob("*.json")),
                         *(f for folder in SUBFOLDER_LOADERS for f in sorted((root / folder).glob("*.json")))])
    legend = sources_file or root.parent / "docs" / "sources.md"
    digest.update(legend.read_bytes() if legend.is_file() else b"\0no legend\0")
    return digest.hexdigest()[:32]


def load_catalog(rules_dir: Path | str, *, cache_dir: Path | None, sources_file: Path | None = None) -> RulesCatalog:
    """The catalogue of ``rules_dir``: from the snapshot when one matches, else built (and cached).

    The Korean analyser is not loaded here (``warm=False``): only the stages that resolve text need it,
    and they start it themselves (:meth:`streams.wiring.Resources.warm_up`).

    Raises:
        RulesError: the documents are invalid (never cached).
    """
    root = Path(rules_dir)
    if cache_dir is None or not root.is_dir():
        return RulesCatalog.load(root, sources_file=sources_file, warm=False)
    path = Path(cache_dir) / f"rules-{snapshot_key(root, sources_file)}.pickle"
    catalog = _read(path)
    if catalog is None:
        catalog = RulesCatalog.load(root, sources_file=sources_file, warm=False)
        _write(path, catalog)
    catalog.path = root  # the same content may live in another checkout
    return catalog


def _feed(digest: Any, base: Path, files: list[Path]) -> None:
    for file in files:
        digest.update(file.relative_to(base.parent).as_posix().encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")


def _read(path: Path) -> RulesCatalog | None:
    collecting = gc.isenabled()
    gc.disable()  # unpickling creates ~10^5 containers: collections midway cost ~30 % and find nothing
    try:
        with path.open("rb") as f:
            catalog = pickle.load(f)  # noqa: S301  (our own cache file, written by _write below)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001  (a damaged or foreign file is a miss, not an error)
        logger.warning("rules snapshot %s unreadable (%r); rebuilding it", path, exc)
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(catalog, RulesCatalog):
        return None
    logger.debug("rules catalogue from snapshot %s", path)
    return catalog


def _write(path: Path, catalog: RulesCatalog) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = {MappingProxyType: _reduce_proxy}  # the catalogue's read-only views
            pickler.dump(catalog)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as exc:  # a read-only home (a locked-down container) only costs the rebuild
        logger.info("rules snapshot not written to %s (%s); the catalogue is rebuilt at each start", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    _prune(path)


def _prune(keep: Path) -> None:
    others = sorted((p for p in keep.parent.glob("rules-*.pickle") if p != keep),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP - 1:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _proxy(data: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(data)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _proxy, (dict(proxy),)
