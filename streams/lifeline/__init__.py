"""Child processes never outlive their parent: the embedded broker and the image pool die with it."""

from streams.lifeline.parent import die_with_parent, watch_parent

__all__ = ["die_with_parent", "watch_parent"]
