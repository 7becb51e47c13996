"""Errors of the evaluation commands; the CLI prints ``message`` and exits 2.

::

    EvalError
    ├── RunNotFound     no run (or results file) by that name
    ├── RunExists       the run name is taken (choose another or --overwrite)
    ├── SourceError     the export/replay source cannot be read: no broker, no such topic or file, a bad line
    └── LabelsError     the labelled set cannot be read
"""

from __future__ import annotations

__all__ = ["EvalError", "LabelsError", "RunExists", "RunNotFound", "SourceError"]


class EvalError(Exception):
    """Base of the evaluation errors: a message meant for the person at the terminal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunNotFound(EvalError):
    """No run directory or results file by that name."""


class RunExists(EvalError):
    """A run of that name already exists and --overwrite was not given."""


class SourceError(EvalError, ValueError):
    """The source of an export or replay cannot be read (broker, topic, file or one of its lines)."""


class LabelsError(EvalError, ValueError):
    """The labelled set is missing or malformed."""
