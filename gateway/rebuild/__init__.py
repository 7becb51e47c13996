"""A restarted gateway replica re-reads a bounded recent window of its topics instead of forgetting."""

from gateway.rebuild.rewind import rewind

__all__ = ["rewind"]
