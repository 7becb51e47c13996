"""Idempotency-Key (IETF draft): one run per key and client, the same result for every retry, 422 on reuse."""

from gateway.idempotency.ledger import Claim, IdempotencyLedger, await_first, fingerprint, scoped_key
from gateway.idempotency.shared import ClaimBook, SharedClaim, claim, key_query_id

__all__ = ["Claim", "ClaimBook", "IdempotencyLedger", "SharedClaim", "await_first", "claim", "fingerprint",
           "key_query_id", "scoped_key"]
