"""The API key id of the request being served, for the ``accepted`` event (who owns the query)."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["current_key_id", "set_key_id"]

# A context variable rather than a parameter threaded through every route helper: the guard sets it
# in the request's task and the accepted event, built a few calls deeper, reads it.
_KEY_ID: ContextVar[str | None] = ContextVar("bunri_api_key_id", default=None)


def current_key_id() -> str | None:
    return _KEY_ID.get()


def set_key_id(key_id: str | None) -> None:
    _KEY_ID.set(key_id)
