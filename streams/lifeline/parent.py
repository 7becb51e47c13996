"""Tie a child's life to its parent's, even when the parent is killed with SIGKILL.

A parent killed with SIGKILL runs no cleanup, so ``finally`` blocks and ``atexit`` cannot stop its
children: the embedded Tansu broker and the image pool's workers (and with them multiprocessing's
fork server and resource tracker, which wait for those workers) lived on. The kernel has to do it:

- :func:`die_with_parent` runs in the child between fork and exec (``Popen(preexec_fn=...)``) and
  asks for ``PR_SET_PDEATHSIG``: the kernel sends SIGKILL when the parent dies. It is one ``prctl``
  call, made through ``ctypes`` on the C library rather than a package (``python-prctl`` needs
  libcap headers to build and wraps dozens of calls we do not use). Linux only; elsewhere a no-op.
  The signal follows the *thread* that forked, so spawn from a thread that lives as long as the
  parent (bunri spawns the broker from the event loop's thread).
- :func:`watch_parent` is a process-pool initializer: with a fork server the pool's workers are the
  fork server's children, not ours, so they watch our pid through a pidfd (``os.pidfd_open``,
  Linux 5.3+) that becomes readable when we exit, and leave at once. It needs no polling and cannot
  be fooled by pid reuse once opened.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import sys
import threading

__all__ = ["die_with_parent", "watch_parent"]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> None:
    """In the child: have the kernel send ``sig`` when the parent dies (``preexec_fn`` or initializer).

    ``parent_pid``: the parent expected; if it is already gone (it died before the call), exit now.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died between fork and prctl: nobody is left to signal us


def watch_parent(parent_pid: int) -> None:
    """Process-pool initializer: exit this worker as soon as ``parent_pid`` exits."""
    die_with_parent()  # the fork server's death, too (it is this worker's parent)
    try:
        pidfd = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or the parent is already gone
        if not _alive(parent_pid):
            os._exit(1)
        return
    threading.Thread(target=_wait_and_exit, args=(pidfd,), name="bunri-parent-watch", daemon=True).start()


def _wait_and_exit(pidfd: int) -> None:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.poll()  # readable once the process exits
    os._exit(1)  # no cleanup to run: the parent that wanted the results is gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
