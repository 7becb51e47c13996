"""Where replay runs live, how they are read, and the labelled sets they are judged against.

A run is a directory ``<data dir>/runs/<name>/`` holding two files:

- ``run.json``: the manifest: name, source, filters, the configuration it ran under, counts, times;
- ``results.jsonl``: one line per re-run query: ``id`` (what comparisons join on: the label id, else the
  original query id), ``replay_of``, ``query_id``, ``question``, ``origin``, ``recorded_at``, ``label``
  (when the source line carried one), ``elapsed_ms``, and ``reply`` (the Answer or Failure) or ``skipped``
  (why it could not be re-run).

Why files and not a topic: an evaluation reads a whole run at once, again and again, joined with labels
and with other runs; a file does that, and it outlives topic retention and the embedded broker, which
keeps its topics in memory only. The run's replies still travel on its own reply topic while it runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from streams import __version__
from streams.cache import normalise_question
from streams.eval.errors import LabelsError, RunExists, RunNotFound
from streams.settings import Settings

__all__ = ["Label", "Labels", "RunPaths", "config_summary", "find_run", "json_default", "load_labels",
           "load_results", "new_run", "read_manifest", "run_settings", "write_manifest"]

_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class RunPaths:
    name: str
    results: Path
    manifest: Path

    @classmethod
    def in_dir(cls, name: str, directory: Path) -> RunPaths:
        return cls(name, directory / "results.jsonl", directory / "run.json")


def _checked(name: str) -> str:
    # The name becomes a directory and part of Kafka topic names: keep it to what both accept.
    if not _RUN_NAME.fullmatch(name):
        raise RunNotFound(f"invalid run name {name!r}: letters, digits, '_', '.', '-', at most 64")
    return name


def new_run(settings: Settings, name: str, *, overwrite: bool = False) -> RunPaths:
    """A fresh run directory; RunExists if the name is taken and ``overwrite`` is false."""
    paths = RunPaths.in_dir(_checked(name), settings.data_dir / "runs" / name)
    if paths.results.exists() and not overwrite:
        raise RunExists(f"run {name!r} already exists ({paths.results.parent}); choose another name or "
                        "pass --overwrite")
    paths.results.parent.mkdir(parents=True, exist_ok=True)
    return paths


def find_run(settings: Settings, ref: str) -> RunPaths:
    """A run by name (under the data dir), or by the path of its directory or results file."""
    path = Path(ref)
    if path.suffix == ".jsonl" and path.is_file():
        if path.name == "results.jsonl":
            return RunPaths.in_dir(path.parent.name, path.parent)
        # Any results-shaped file (e.g. copied out of a run); its manifest, if any, sits beside it.
        return RunPaths(path.stem, path, path.with_suffix(".run.json"))
    if path.is_dir() and (path / "results.jsonl").is_file():
        return RunPaths.in_dir(path.name, path)
    if _RUN_NAME.fullmatch(ref):
        paths = RunPaths.in_dir(ref, settings.data_dir / "runs" / ref)
        if paths.results.is_file():
            return paths
    raise RunNotFound(f"no run {ref!r} (looked in {settings.data_dir / 'runs'}; a path to a run "
                      "directory or results.jsonl also works)")


def load_results(paths: RunPaths) -> list[dict[str, Any]]:
    """Every line of the run's results (blank lines skipped)."""
    lines = paths.results.read_text(encoding="utf-8").splitlines()
    try:
        return [json.loads(line) for line in lines if line.strip()]
    except ValueError as exc:
        raise RunNotFound(f"{paths.results} is not a results file: {exc}") from exc


def json_default(value: object) -> str:
    """JSON for what run files hold besides JSON types: instants as ISO 8601, ids as text."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def write_manifest(paths: RunPaths, manifest: dict[str, Any]) -> None:
    paths.manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=json_default) + "\n",
                              encoding="utf-8")


def read_manifest(paths: RunPaths) -> dict[str, Any]:
    """The manifest, or ``{"run": name}`` for a results file without one."""
    if not paths.manifest.is_file():
        return {"run": paths.name}
    data: dict[str, Any] = json.loads(paths.manifest.read_text(encoding="utf-8"))
    return data


def run_settings(base: Settings, run: str) -> Settings:
    """The configuration a run's own pipeline uses: its own topics (and so consumer groups), no cache.

    The prefix keeps the run's messages and replies off the live topics; the cache is off so the run
    neither answers from live entries (it must exercise its own configuration) nor writes into them.
    """
    kafka = base.kafka.model_copy(update={"topic_prefix": f"{base.kafka.topic_prefix}replay.{_checked(run)}."})
    cache = base.cache.model_copy(update={"enabled": False})
    return base.model_copy(update={"kafka": kafka, "cache": cache})


def config_summary(settings: Settings) -> dict[str, Any]:
    """What a run's configuration was, for its manifest (no secrets: the base URL loses any user:password)."""
    base_url = settings.openai_base_url
    if base_url:
        parts = urlsplit(base_url)
        base_url = urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")
                                             if parts.hostname else parts.netloc))
    offline = settings.offline
    return {
        "offline": offline,
        "models": {"gpt5": "offline", "gpt4o": "offline"} if offline else
        {"gpt5": settings.gpt5.model, "gpt4o": settings.gpt4o.model},
        "base_url": None if offline else base_url,
        "prompt_variants": {"gpt5": settings.gpt5.prompt_variant, "gpt4o": settings.gpt4o.prompt_variant},
        "min_confidence": settings.gpt5.min_confidence,
        "rules_dir": str(settings.rules_dir),
        "query_timeout_s": settings.query_timeout_s,
        "bunri_version": __version__,
    }


@dataclass(frozen=True)
class Label:
    id: str
    question: str
    accepted: tuple[str, ...]  # empty only when needs_clarification
    item_id: str | None
    needs_clarification: bool = False  # a vague question: asking back is the right answer
    cls: str | None = None  # the kind of question it tests ("negation", "typo_slang", ...), if labelled

    @classmethod
    def from_row(cls, row: dict[str, Any], ref: str | None = None) -> Label:
        """From a labelled line (or a results line's ``label``); ValueError/KeyError/TypeError if malformed."""
        accepted = tuple(str(a) for a in row["accepted"])
        vague = bool(row.get("needs_clarification"))
        if not accepted and not vague:
            raise ValueError("'accepted' is empty and needs_clarification is not set")
        return cls(str(row["id"] if ref is None else ref), str(row.get("question") or ""), accepted,
                   row.get("item_id"), vague, row.get("class"))


class Labels:
    """A labelled set, looked up by id, else by the question's normalised text."""

    def __init__(self, labels: list[Label], source: str) -> None:
        self.source = source
        self.by_id = {label.id: label for label in labels}
        self.by_question = {normalise_question(label.question): label for label in labels}

    def __len__(self) -> int:
        return len(self.by_id)

    def find(self, ref: str | None, question: str | None) -> Label | None:
        if ref is not None and ref in self.by_id:
            return self.by_id[ref]
        return self.by_question.get(normalise_question(question)) if question else None


def load_labels(path: Path) -> Labels:
    """Lines ``{"id", "question", "accepted": [codes], "item_id"?, "needs_clarification"?, "class"?}``.

    ``accepted`` may be empty only for a question labelled ``needs_clarification`` (asking back is right).
    """
    if not path.is_file():
        raise LabelsError(f"no such labelled set: {path}")
    labels = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            labels.append(Label.from_row(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise LabelsError(f"{path}:{n}: want {{\"id\", \"question\", \"accepted\": [...]}}: {exc}") from exc
    return Labels(labels, str(path))
