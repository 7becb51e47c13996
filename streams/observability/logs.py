"""Logging for every bunri process: ``BUNRI_LOG_LEVEL`` and ``BUNRI_LOG_FORMAT`` (text or JSON lines).

:func:`configure_logging` is called once, by the CLI entry point, before anything logs. JSON lines come
from python-json-logger; each carries ``time``, ``level``, ``logger``, ``message`` and, where they exist,
``query_id``, ``stage``, ``topic``, ``partition`` and ``offset`` — set for the code running on a message by
:func:`log_context` (a context variable, so concurrent messages in one worker keep their own).

Example:
    configure_logging(LogSettings(), default_level="INFO")
    with log_context(stage="rag", query_id=qid):
        logger.warning("no rule")   # {"level": "WARNING", ..., "stage": "rag", "query_id": "..."}
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CONTEXT_FIELDS", "LogSettings", "configure_logging", "log_context", "resolve_level"]

#: The fields a log record gets from :func:`log_context` (and from ``extra=``), when they exist.
CONTEXT_FIELDS = ("query_id", "stage", "topic", "partition", "offset")
#: Libraries that are chatty at INFO: kept at WARNING unless the level is DEBUG.
NOISY = ("aiokafka", "faust", "mode", "kafka")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("bunri_log_context", default=None)


class LogSettings(BaseSettings):
    """The two logging variables, read at the entry point before the command's own settings."""

    model_config = SettingsConfigDict(env_prefix="BUNRI_", extra="ignore", frozen=True)

    log_level: str | None = None  # unset: the command's default (INFO for servers, WARNING otherwise)
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().upper()
        if not isinstance(logging.getLevelName(name), int):
            raise ValueError(f"unknown log level {value!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return name

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class _ContextFilter(logging.Filter):
    """Copies the current :func:`log_context` onto each record (explicit ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if value is not None and not hasattr(record, key):
                setattr(record, key, value)
        return True


def resolve_level(settings: LogSettings, *, default: int, verbose: int = 0) -> int:
    """``BUNRI_LOG_LEVEL`` (else ``default``), lowered by ``-v`` (INFO) or ``-vv`` (DEBUG)."""
    level = logging.getLevelName(settings.log_level) if settings.log_level else default
    if verbose:
        level = min(level, logging.INFO if verbose == 1 else logging.DEBUG)
    return int(level)


def configure_logging(settings: LogSettings, *, default: int = logging.WARNING, verbose: int = 0,
                      stream: IO[str] | None = None) -> int:
    """Set up the root logger once (replacing earlier handlers); return the level in force."""
    level = resolve_level(settings, default=default, verbose=verbose)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter())
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter  # only when asked for: `bunri ask` starts lean

        handler.setFormatter(JsonFormatter(
            "{levelname}{name}{message}", style="{", timestamp="time", json_ensure_ascii=False,
            rename_fields={"levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING) if level > logging.DEBUG else level)
    return level


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (query_id, stage, topic, partition, offset) to every record logged inside."""
    token = _context.set({**(_context.get() or {}), **{k: _plain(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | bool | str) else str(value)
