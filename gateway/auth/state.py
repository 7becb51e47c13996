"""Build the gateway's security state once, from the settings (keys, owners, admission)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gateway.auth.keys import KeyRing
from gateway.auth.owners import OwnerIndex
from gateway.events import EventLog
from gateway.limits import Admission
from streams.settings import Settings

__all__ = ["keys_path", "security_state"]

logger = logging.getLogger(__name__)


def keys_path(settings: Settings) -> Path:
    """BUNRI_AUTH__KEYS_FILE, else ``<data_dir>/keys.json`` (what ``bunri keys`` edits)."""
    return settings.auth.keys_file or Path(settings.data_dir) / "keys.json"


def security_state(settings: Settings, events: EventLog) -> dict[str, Any]:
    """``keys`` (None with keys off), ``owners`` and ``admission`` for the lifespan state."""
    ring = None
    if settings.auth.enabled:
        ring = KeyRing(keys_path(settings))
        if not len(ring):  # not fatal: a key created later is picked up without a restart
            logger.warning("API keys are on but %s has no active key: every /v1 request gets 401 "
                           "(create one with `bunri keys create NAME`)", ring.path)
    # A query stops counting as in flight at its reply, or at deadline + grace when none came.
    horizon = settings.query_timeout_s + settings.query_grace_s + 5
    return {"keys": ring, "owners": OwnerIndex(events), "admission": Admission(settings.limits, horizon_s=horizon)}

