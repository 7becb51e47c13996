"""The source legend (``docs/sources.md``): each source key with its title, publisher and first URL.

Documents cite sources by key; results carry the title and URL from here, so a client can follow every rule
to where it came from without the documents repeating addresses.
"""

from __future__ import annotations

import re
from pathlib import Path

from streams.contracts import SourceRef

__all__ = ["read_legend", "read_source_keys"]

_SOURCE_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9-]+)\s*\|", re.MULTILINE)


def read_source_keys(path: Path) -> frozenset[str] | None:
    """Source keys declared in ``docs/sources.md`` (first column of its table), or None without it."""
    legend = read_legend(path)
    return None if legend is None else frozenset(legend)


def read_legend(path: Path) -> dict[str, SourceRef] | None:
    """``docs/sources.md``'s table as key → SourceRef with ``title`` ("title — publisher") and the first URL.

    The table's header names its columns (``key``, ``title``, ``publisher``, ``URL(s)``); a URL cell may hold
    several addresses separated by " ; ", the first is the one results carry.
    """
    if not path.is_file():
        return None
    legend: dict[str, SourceRef] = {}
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = [c.lower() for c in cells]
            continue
        if not _SOURCE_ROW.match(line):
            continue
        row = dict(zip(header, cells, strict=False))
        urls = next((v for k, v in row.items() if "url" in k), "")
        url = next(iter(re.findall(r"https?://[^\s;()]+", urls)), None)
        title = " — ".join(x for x in (row.get("title"), row.get("publisher")) if x) or None
        legend[cells[0]] = SourceRef(key=cells[0], url=url, title=title)
    return legend
