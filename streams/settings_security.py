"""Settings of what faces the internet and the cluster: API keys, per-key limits, Kafka TLS/SASL.

Plain frozen models composed into :class:`streams.settings.Settings` (``BUNRI_AUTH__*``,
``BUNRI_LIMITS__*``, ``BUNRI_KAFKA__SECURITY_PROTOCOL`` etc.), kept apart so the main settings module stays small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["AuthSettings", "KafkaSecurity", "LimitSettings"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuthSettings(_Frozen):
    """API keys at the gateway (``bunri keys create|list|revoke`` manage the file)."""

    enabled: bool = Field(default=False, description="Require an API key on /v1/queries (the chart turns it on).")
    keys_file: Path | None = Field(default=None, description="The keys file (hashes only); default "
                                   "<data_dir>/keys.json. Re-read when it changes, so a revoke takes effect "
                                   "without a restart.")


class LimitSettings(_Frozen):
    """Per-key limits and load shedding at the gateway; 0 switches a limit off.

    Counted per gateway replica (like the model rate limits): with N replicas behind a load
    balancer, set the per-key values to the intended total divided by N.
    """

    rpm_per_key: int = Field(default=60, ge=0, description="POST /v1/queries per key per minute.")
    inflight_per_key: int = Field(default=8, ge=0, description="Unanswered queries per key at once.")
    # A backstop above the capacity gate (gateway/capacity): at the design bound, 20 answers/s × 15 s
    # of the deadline keeps ~300 in flight, and the gate's 429 sheds first; at 200 this cap answered
    # the overload with 503s instead (docs/performance.md).
    inflight_total: int = Field(default=500, ge=0, description="Unanswered queries on this replica at once; "
                                "beyond it new queries get 503 at once instead of queueing into timeouts.")
    daily_usd_per_key: float = Field(default=5.0, ge=0, description="Model cost per key per UTC day.")
    daily_usd_total: float = Field(default=100.0, ge=0, description="Model cost of this replica per UTC day.")


class KafkaSecurity(_Frozen):
    """How every Kafka client connects (faust, aiokafka producers, consumers, admin): TLS and SASL.

    The base of :class:`streams.settings.KafkaSettings`, so the fields read ``BUNRI_KAFKA__SECURITY_PROTOCOL``,
    ``BUNRI_KAFKA__SASL_MECHANISM``, ``BUNRI_KAFKA__SASL_USERNAME``, ``BUNRI_KAFKA__SASL_PASSWORD`` (or
    ``__SASL_PASSWORD_FILE``), ``BUNRI_KAFKA__SSL_CA_FILE``, ``__SSL_CERT_FILE``, ``__SSL_KEY_FILE``.
    """

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_password_file: Path | None = Field(default=None, description="Read at connect time (a mounted Secret).")
    ssl_ca_file: Path | None = Field(default=None, description="CA bundle; unset: the system's trust store.")
    ssl_cert_file: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    ssl_key_file: Path | None = Field(default=None, description="The client certificate's private key.")

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSecurity:
        # Refuse at start-up what would otherwise fail on the first connection, far from its cause.
        if self.security_protocol.startswith("SASL_") and not self.sasl_username:
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_username")
        if self.security_protocol.startswith("SASL_") and not (self.sasl_password or self.sasl_password_file):
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_password or sasl_password_file")
        if bool(self.ssl_cert_file) != bool(self.ssl_key_file):
            raise ValueError("ssl_cert_file and ssl_key_file go together (mutual TLS)")
        return self
