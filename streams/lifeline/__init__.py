"""Child processes never outlive their parent; a worker stopped with SIGTERM drains before it exits."""

from streams.lifeline.drain import Drain, DrainReport
from streams.lifeline.parent import die_with_parent, watch_parent

__all__ = ["Drain", "DrainReport", "die_with_parent", "watch_parent"]
