"""A restarted worker takes over its predecessor's seat in the consumer group instead of waiting it out.

After ``kill -9`` the dead worker stays a member of its group until its session expires. A new worker
joining meanwhile is, on Tansu, made a follower of the dead leader and waits for its SyncGroup until
that session expires, then joins again (8.8 s at a 4 s session instead of 2.6 s); on Kafka its join
waits for the expiry too. Rejoining with the dead member's id instead makes it the same member: Tansu
answers with the group's current assignment at once, Kafka rebalances without waiting.

The id is kept in a slot file per group under the data dir, locked (``flock``) by the live worker that
holds it: the kernel releases the lock when that process dies, however it dies, so a slot is taken over
only from a dead worker and two live workers never share an id (a shared id would split the ownership
of partitions). Workers of one stage on one host take the first free slot; a Kubernetes container
restarted in its pod finds its slot when the data dir is a volume that outlives the container. An id the
broker no longer knows is harmless: the broker refuses it and the client joins as a new member.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from pathlib import Path

__all__ = ["MemberSlot"]

logger = logging.getLogger(__name__)

#: Workers of one group on one host (and data dir) beyond this join as new members every time.
MAX_SLOTS = 64


class MemberSlot:
    """The group member id of this worker's slot: read at start, rewritten after every join.

    Example:
        slot = MemberSlot(settings.data_dir / "members", "bunri-rag")
        previous = slot.claim()   # the id of a dead predecessor, or None
        ...
        slot.record(coordinator.member_id)
    """

    def __init__(self, directory: Path, group: str) -> None:
        self._directory = directory
        self._name = re.sub(r"[^A-Za-z0-9._-]", "_", group)
        self._fd: int | None = None
        self.path: Path | None = None

    def claim(self) -> str | None:
        """Lock the first free slot of the group; return the member id recorded in it (None: none)."""
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            for n in range(MAX_SLOTS):
                path = self._directory / f"{self._name}.{n}"
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # not inherited by children
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # a live worker holds it
                    os.close(fd)
                    continue
                self._fd, self.path = fd, path
                return os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or None
        except OSError as exc:  # a read-only or missing data dir: join as a new member, as before
            logger.info("no member slot in %s (%s): joining as a new member", self._directory, exc)
        return None

    def record(self, member_id: str) -> None:
        """Keep the id the coordinator gave this worker, for the worker that may replace it."""
        if self._fd is None or not member_id:
            return
        data = member_id.encode()
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        """Unlock the slot (the id stays in it); the process's exit does the same."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
