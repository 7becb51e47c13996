"""Idempotency-Key (IETF draft): one run per key and client, the same result for every retry, 422 on reuse."""

from gateway.idempotency.ledger import Claim, IdempotencyLedger, await_first, fingerprint, scoped_key

__all__ = ["Claim", "IdempotencyLedger", "await_first", "fingerprint", "scoped_key"]
