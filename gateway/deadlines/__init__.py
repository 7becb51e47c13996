"""Deadlines the gateway owns: an accepted query with no reply by deadline + grace fails with ``timeout``."""

from gateway.deadlines.keeper import DeadlineKeeper

__all__ = ["DeadlineKeeper"]
