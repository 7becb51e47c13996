"""Users' feedback on answers: ``POST /v1/queries/{id}/feedback`` -> ``q.feedback``, one per query."""

from gateway.feedback.ledger import FeedbackLedger

__all__ = ["FeedbackLedger"]
