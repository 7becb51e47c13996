"""Typed pipeline errors.

The tree::

    PipelineError
    ├── TransientError            retried within the query's deadline (redelivery, backoff)
    │   ├── LLMUnavailable        connection error, timeout, 429, 5xx
    │   ├── StoreUnavailable      object store unreachable
    │   └── BrokerUnavailable     Kafka unreachable
    └── PermanentError            never retried: dead letter + Failure reply
        ├── InvalidInput          (ValueError) bad contract or bad field
        ├── UnsupportedImage      (ValueError) not JPEG/PNG/WebP/HEIC
        ├── InvalidImage          (ValueError) corrupt, truncated, decompression bomb
        ├── ImageTooLarge         (ValueError) bytes over the upload limit
        ├── LLMRejected           400/401/403/404/422 from the provider
        ├── LLMOutputInvalid      structured output still invalid after one re-ask
        └── RuleNotFound          no rule for the item and no category to fall back on

Each error knows its :data:`~streams.contracts.FailureReason`, so the generic binding
turns it into a Failure reply without a lookup table of its own.
"""

from __future__ import annotations

from streams.contracts import FailureReason

__all__ = [
    "BrokerUnavailable",
    "ImageTooLarge",
    "InvalidImage",
    "InvalidInput",
    "LLMOutputInvalid",
    "LLMRejected",
    "LLMUnavailable",
    "PermanentError",
    "PipelineError",
    "RuleNotFound",
    "StoreUnavailable",
    "TransientError",
    "UnsupportedImage",
]


class PipelineError(Exception):
    reason: FailureReason = "internal"

    def __init__(self, message: str, *, stage: str | None = None, query_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.query_id = query_id


class TransientError(PipelineError):
    """Worth retrying: the same input may succeed later."""


class PermanentError(PipelineError):
    """Retrying the same input cannot succeed."""


class LLMUnavailable(TransientError):
    reason: FailureReason = "model_unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str | None) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class StoreUnavailable(TransientError):
    reason: FailureReason = "internal"


class BrokerUnavailable(TransientError):
    reason: FailureReason = "internal"


class InvalidInput(PermanentError, ValueError):
    reason: FailureReason = "invalid_input"


class UnsupportedImage(PermanentError, ValueError):
    reason: FailureReason = "unsupported_image"


class InvalidImage(PermanentError, ValueError):
    reason: FailureReason = "invalid_image"


class ImageTooLarge(PermanentError, ValueError):
    reason: FailureReason = "image_too_large"


class LLMRejected(PermanentError):
    reason: FailureReason = "model_unavailable"


class LLMOutputInvalid(PermanentError):
    reason: FailureReason = "model_bad_output"


class RuleNotFound(PermanentError):
    reason: FailureReason = "no_rule"
