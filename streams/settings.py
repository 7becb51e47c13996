"""Settings: built once at the process edge (CLI entry point, gateway factory) and passed down.

Environment: prefix ``BUNRI_`` with ``__`` for nesting (``BUNRI_KAFKA__FETCH_MAX_WAIT_MS``),
plus the standard ``KAFKA_BOOTSTRAP``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``AWS_*``
(read by boto3 itself). Secrets may also come from files in ``/var/run/secrets/bunri``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.settings_kafka import KafkaSettings, Partitions
from streams.settings_security import AuthSettings, LimitSettings

__all__ = [
    "CacheSettings",
    "Gpt4oSettings",
    "Gpt5Settings",
    "KafkaSettings",
    "ModelSettings",
    "Partitions",
    "PreprocessSettings",
    "PublicDataSettings",
    "S3Settings",
    "Settings",
    "WorkerSettings",
    "default_cache_dir",
    "default_rules_dir",
]

STAGES = ("preprocess", "gpt5", "rag", "gpt4o")
Stage = Literal["preprocess", "gpt5", "rag", "gpt4o"]


def default_rules_dir() -> Path:
    # The repository's rules/ sits next to the package in a checkout or an editable install;
    # the container image sets BUNRI_RULES_DIR explicitly.
    return Path(__file__).resolve().parent.parent / "rules"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/bunri`` (``~/.cache/bunri``): derived data that survives a fresh data dir."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bunri"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSettings(_Frozen):
    """One model endpoint; the gpt5 and gpt4o stages each have one."""

    model: str
    detail: Literal["low", "high", "auto"] = "auto"
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    max_output_tokens: int = Field(default=1200, ge=16)
    # Client-side limits per worker: set them to the organisation's limits divided by replicas.
    # The gpt5 prompt lists the catalogue (~6k tokens), so the token budget binds first.
    rpm: int = Field(default=1_000, ge=1, description="Client-side requests/min limit per worker.")
    tpm: int = Field(default=1_000_000, ge=1, description="Client-side tokens/min limit per worker.")
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    # A call is not started with less time left than this, or than the model's recent 90th-percentile
    # latency if longer (streams/llm/latency.py): gpt5 fails as `timeout`, gpt4o degrades. 0: off.
    min_budget_s: float = Field(default=1.0, ge=0, description="Least time left worth starting a model call.")
    # A named addition to the stage's system prompt (streams/stages/variants.py), to compare prompts
    # with `bunri replay`/`bunri eval`; checked against the known variants when the stage is wired.
    prompt_variant: str = Field(default="default", min_length=1, max_length=40)
    # Sent only when set: reasoning models (gpt-5, o-series) spend max_output_tokens on hidden
    # reasoning too, so a short structured answer needs a low effort. Other servers: leave empty.
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None


class Gpt5Settings(ModelSettings):
    """The gpt5 stage's model (vision analysis); every field has a default so one can be overridden."""

    model: str = "gpt-5"
    timeout_s: float = Field(default=60.0, gt=0)
    max_output_tokens: int = Field(default=4000, ge=16)
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = "low"
    # A text-only question whose resolver confidence is below this goes to the model (with the candidate
    # items, no image); at or above it the free, fast resolver's answer stands. 0.9 is where the labelled
    # sets' reliability table (bench/eval_labelled.py) says the resolver is right ≥ 97 % of the time.
    text_threshold: float = Field(default=0.9, ge=0, le=1)


class Gpt4oSettings(ModelSettings):
    """The gpt4o stage's model (answer writing)."""

    model: str = "gpt-4o-mini"
    timeout_s: float = Field(default=30.0, gt=0)
    max_output_tokens: int = Field(default=800, ge=16)


class S3Settings(_Frozen):
    bucket: str | None = None
    endpoint_url: str | None = None
    region: str = "us-east-1"
    prefix: str = ""
    presign_ttl_s: int = Field(default=300, ge=10, le=3600)


class PreprocessSettings(_Frozen):
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_pixels: int = Field(default=50_000_000, ge=1, description="Decompression-bomb guard.")
    max_edge: int = Field(default=1024, ge=64)
    jpeg_quality: int = Field(default=85, ge=30, le=100)
    pool: Literal["process", "thread"] = "process"
    # Separate from the stage's concurrency: each pool process costs ~40 MiB idle and up to
    # ~90 MiB on a 12 MP PNG, so 8 processes would not fit the seed's 256Mi preprocess pods.
    pool_workers: int = Field(default=2, ge=1, le=64)
    raw_retention_s: int = Field(default=3600, ge=0)
    # Normalised images (images/<sha256>.jpg) are kept this long after the last query that used
    # them, so `bunri replay --from q.gpt5` can re-run a recorded photo query within it.
    image_retention_s: int = Field(default=30 * 24 * 3600, ge=3600)
    sweep_interval_s: float = Field(default=300.0, gt=0)


class CacheSettings(_Frozen):
    enabled: bool = True
    ttl_s: int = Field(default=7 * 24 * 3600, ge=1)
    max_entries: int = Field(default=100_000, ge=1)


class PublicDataSettings(_Frozen):
    """District schedules from 행정안전부 생활쓰레기배출정보 (data.go.kr 15155080), docs/regions.md."""

    # Unset (and no file): answers with a region point to the portal instead of giving days and times.
    service_key: SecretStr | None = None
    base_url: str = "https://apis.data.go.kr/1741000/household_waste_info/info"
    # A JSON file in the API's response shape, used instead of the API (offline use, tests).
    file: Path | None = None
    timeout_s: float = Field(default=4.0, gt=0, description="One district's lookup, retries included.")
    max_retries: int = Field(default=2, ge=0)
    cache_ttl_s: int = Field(default=24 * 3600, ge=0, description="Per-district cache in the object store; 0: off.")
    portal_url: str = "https://www.xn--oy2b29bd3a601b.kr/front/region/region.do"


#: The seed's per-worker concurrency: a worker running one stage (replicas multiply it).
WORKER_CONCURRENCY = {"preprocess": 8, "gpt5": 20, "rag": 4, "gpt4o": 10}
#: The seed's totals across its replicas: one process running every stage (``bunri serve``).
SERVE_CONCURRENCY = {"preprocess": 24, "gpt5": 100, "rag": 8, "gpt4o": 30}


class StageConcurrency(_Frozen):
    """Messages in flight per stage in one process; 0 = the default (the seed's, see :meth:`of`).

    ``BUNRI_WORKER__CONCURRENCY=N`` (or ``--concurrency N``) sets ``single``, the value for every
    stage of the worker; ``BUNRI_WORKER__CONCURRENCY__GPT5=N`` etc. set one stage. When both
    forms are in the environment, the single value wins (pydantic-settings reads one or the other).
    """

    single: int = Field(default=0, ge=0)
    preprocess: int = Field(default=0, ge=0)
    gpt5: int = Field(default=0, ge=0)
    rag: int = Field(default=0, ge=0)
    gpt4o: int = Field(default=0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _single(cls, value: object) -> object:
        if isinstance(value, int | str) and not isinstance(value, bool):
            return {"single": value}
        return value

    def of(self, stage: str, *, every_stage: bool = False) -> int:
        """The stage's value: its own, else the single one, else the seed's (totals when ``every_stage``)."""
        own: int = getattr(self, stage)
        defaults = SERVE_CONCURRENCY if every_stage else WORKER_CONCURRENCY
        return own or self.single or defaults[stage]


class AdmissionSettings(_Frozen):
    """The gateway's capacity gate (gateway/capacity): 429 for a query that would miss its deadline."""

    target: float = Field(default=0.5, ge=0, le=1, description="Share of the deadline a new query's predicted "
                          "time to answer may use; 0: the gate is off.")
    window_s: float = Field(default=10.0, gt=0, description="Answers counted over this many seconds.")
    min_inflight: int = Field(default=50, ge=1, description="Queries waiting with no answer for a window: stalled.")


class WorkerSettings(_Frozen):
    concurrency: StageConcurrency = Field(default_factory=StageConcurrency,
                                          description="In-flight messages per stage; 0 = stage default.")
    web_port: int = Field(default=6066, ge=0, le=65535)
    # Loopback unless told otherwise: the chart binds the pod IP (the kubelet's probes and Prometheus
    # reach it there); nothing but /healthz, /readyz and /metrics is served (streams/observability/web.py).
    web_host: str = "127.0.0.1"
    # On SIGTERM a worker stops fetching and lets the messages in flight finish for this long before
    # it commits and stops (streams/lifeline/drain.py); keep it below the pod's terminationGracePeriodSeconds
    # (the chart sets it 5 s below) so the commit happens before the kubelet's SIGKILL.
    shutdown_grace_s: float = Field(default=25.0, ge=0, le=3600,
                                    description="Seconds a worker drains in-flight messages on SIGTERM.")


class Settings(BaseSettings):
    """Everything one bunri process needs; build it once with ``Settings()`` at the edge."""

    model_config = SettingsConfigDict(
        env_prefix="BUNRI_",
        env_nested_delimiter="__",
        secrets_dir="/var/run/secrets/bunri" if Path("/var/run/secrets/bunri").is_dir() else None,
        frozen=True,
        extra="ignore",
    )

    kafka: KafkaSettings = KafkaSettings()
    kafka_bootstrap: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_BOOTSTRAP", "BUNRI_KAFKA_BOOTSTRAP")
    )
    data_dir: Path = Path(".bunri")
    rules_dir: Path = Field(default_factory=default_rules_dir)
    # The validated, indexed catalogue is cached here by a hash of rules/ (streams/rules/snapshot.py);
    # empty or "off": rebuild it at every start.
    rules_cache_dir: Path | None = Field(default_factory=default_cache_dir)
    # `bunri ask` sends its question to this running `bunri serve` (or gateway) instead of starting
    # a pipeline; unset: the URL a local `bunri serve` wrote to <data_dir>/serve.json, if it answers.
    server_url: str | None = None
    s3: S3Settings = S3Settings()
    preprocess: PreprocessSettings = PreprocessSettings()
    cache: CacheSettings = CacheSettings()
    worker: WorkerSettings = WorkerSettings()
    admission: AdmissionSettings = AdmissionSettings()  # gateway/capacity
    gpt5: Gpt5Settings = Gpt5Settings()
    gpt4o: Gpt4oSettings = Gpt4oSettings()
    publicdata: PublicDataSettings = PublicDataSettings()
    auth: AuthSettings = AuthSettings()  # API keys (streams/settings_security.py)
    limits: LimitSettings = LimitSettings()  # per-key limits, load shedding, cost ceilings
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "BUNRI_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "BUNRI_OPENAI_BASE_URL")
    )
    query_timeout_s: float = Field(default=30.0, gt=0, description="Deadline of a query from acceptance.")
    query_grace_s: float = Field(default=5.0, ge=0, description="After deadline + this, the gateway answers a "
                                 "query with no reply 504 timeout itself (gateway/deadlines).")
    idempotency_ttl_s: float = Field(default=86_400.0, gt=0, description="How long an Idempotency-Key is "
                                     "remembered (gateway/idempotency).")
    gateway_rebuild_s: float = Field(default=900.0, ge=0, description="A starting gateway re-reads this many "
                                     "seconds of q.reply and q.events (gateway/rebuild); 0: start at the end.")
    log_level: str = "INFO"
    # Both are read before anything else, by the CLI entry point (streams/observability/logs.py: LogSettings).
    log_format: Literal["text", "json"] = "text"

    @field_validator("rules_cache_dir", mode="before")
    @classmethod
    def _cache_off(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "off", "none") else value

    @property
    def bootstrap(self) -> str | None:
        """KAFKA_BOOTSTRAP; None means: start the embedded Tansu broker (serve, ask, tests)."""
        return self.kafka_bootstrap

    @property
    def offline(self) -> bool:
        """No API key: the honest offline provider answers."""
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()

    def with_bootstrap(self, bootstrap: str) -> Settings:
        return self.model_copy(update={"kafka_bootstrap": bootstrap})

    def masked(self) -> dict[str, object]:
        """Settings for logs: secrets masked."""
        data = self.model_dump(mode="json")
        if self.openai_api_key is not None:
            data["openai_api_key"] = "***"
        return data
