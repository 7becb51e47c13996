"""Topic contracts: the public, versioned wire format of every bunri topic.

This module is the single source of truth shared by the gateway, the workers and
analytics consumers. It imports only pydantic and the standard library; the JSON
Schemas under ``schemas/`` are generated from it (``bunri schemas --write``) and a
test fails when they drift apart.

Topic -> value model:

- ``q.preprocess``  -> :class:`QueryRequest`   (gateway/CLI -> preprocess)
- ``q.gpt5``        -> :class:`PreparedQuery`  (preprocess -> gpt5)
- ``q.rag``         -> :class:`AnalysedQuery`  (gpt5 -> rag)
- ``q.gpt4o``       -> :class:`RuleContext`    (rag -> gpt4o)
- ``q.reply``       -> :data:`Reply` = :class:`Answer` | :class:`Failure` (discriminated on ``kind``)
- ``q.dead-letter`` -> :class:`DeadLetter`
- ``q.events``      -> :class:`ProgressEvent`  (gateway and every stage -> live clients, analytics)
- ``q.feedback``    -> :class:`Feedback`       (gateway -> ``bunri feedback report``, analytics)

Every pipeline message carries the same :class:`Envelope`; stages copy it forward
so the last stage can reply without knowing who asked. The Kafka key of every
message is ``str(envelope.query_id)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "OFFICIAL_CATEGORIES",
    "MAX_MESSAGE_BYTES",
    "AnalysedQuery",
    "Answer",
    "Clarification",
    "DeadLetter",
    "DetectedItem",
    "Feedback",
    "Envelope",
    "Failure",
    "FailureReason",
    "ImageRef",
    "ItemGuidance",
    "ItemGuess",
    "ItemRef",
    "ItemState",
    "MatchKind",
    "NameReading",
    "Route",
    "ModelUsage",
    "OfficialCategory",
    "PreparedImage",
    "PreparedQuery",
    "ProgressEvent",
    "ProgressKind",
    "QueryRequest",
    "QuestionReading",
    "RegionRef",
    "Reply",
    "RuleContext",
    "RuleUsed",
    "SourceRef",
    "Usage",
    "VisionAnalysis",
    "decode",
    "parse_reply",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION: Literal[1] = 1

#: Kafka's default max.message.bytes is about 1 MB; images never travel in messages
#: (claim check), so a message is small. The dead-letter payload is cut to stay far below.
MAX_MESSAGE_BYTES = 1_000_000
MAX_DEAD_LETTER_PAYLOAD = 64 * 1024
MAX_QUESTION_CHARS = 500
MAX_FEEDBACK_ITEM_CHARS = 100
MAX_FEEDBACK_COMMENT_CHARS = 500

OfficialCategory = Literal[
    "종이",
    "종이팩",
    "무색페트병",
    "플라스틱류",
    "비닐류",
    "발포합성수지",
    "유리병",
    "금속류",
    "의류및원단",
    "전지",
    "조명제품",
    "전기전자제품",
    "음식물류폐기물",
    "일반종량제폐기물",
    "불연성종량제폐기물",
    "대형폐기물",
    "공사장생활폐기물",
    "생활계유해폐기물",
]
OFFICIAL_CATEGORIES: tuple[str, ...] = get_args(OfficialCategory)

#: How an item was matched to the catalogue.
MatchKind = Literal["exact", "alias", "fuzzy", "category", "none"]
#: Where an item ends up: material recycling, reuse (재활용센터, 나눔), a special collection (hazardous,
#: bulky, construction), or disposal in a 종량제/불연성 bag. Only "dispose" means "not recyclable".
Route = Literal["recycle", "reuse", "special", "dispose"]

#: The closed list of failure reasons. The gateway maps each to an HTTP status in one table.
FailureReason = Literal[
    "invalid_input",
    "unsupported_image",
    "invalid_image",
    "image_too_large",
    "timeout",
    "model_unavailable",
    "model_bad_output",
    "no_rule",
    "internal",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _open_schema(schema: dict[str, Any]) -> None:
    # The compatibility policy (docs/topics.md): adding an optional field is compatible, so the
    # published schema must let a consumer built from it accept one. Writers stay closed (extra="forbid").
    schema["additionalProperties"] = True


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_open_schema)


class Envelope(_Model):
    """Routing and timing data every pipeline message carries unchanged."""

    query_id: UUID = Field(description="Correlation id; also the Kafka key of every message.")
    created_at: AwareDatetime = Field(description="When the gateway or CLI accepted the query.")
    deadline: AwareDatetime = Field(description="After this instant no stage works on the query.")
    attempt: int = Field(default=0, ge=0, description="Retries used by the stage that sent this message.")
    reply_to: str = Field(default="q.reply", description="Topic the final Answer or Failure goes to.")
    replay_of: UUID | None = Field(default=None, description="Set by `bunri replay`: the recorded query re-run.")

    def expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.deadline


class SourceRef(_Model):
    key: str = Field(description="Source key from docs/sources.md, e.g. MOE-GUIDE.")
    checked: str | None = Field(default=None, description="Date the source was checked (YYYY-MM-DD).")
    url: str | None = None
    title: str | None = Field(default=None, description="Title and publisher, from docs/sources.md.")
    via: str | None = Field(default=None, description="Set when the fact was read second-hand: through what.")


class ImageRef(_Model):
    """Claim check for a raw upload in the object store."""

    key: str = Field(description="Object-store key of the raw upload, e.g. raw/<uuid>.")
    size: int = Field(ge=1)
    content_type: str | None = Field(default=None, description="Type claimed by the client (not trusted).")
    filename: str | None = None


class PreparedImage(_Model):
    """The normalised image (EXIF applied then stripped, resized, JPEG)."""

    key: str = Field(description="Content-addressed key, images/<sha256>.jpg.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    phash: str | None = Field(default=None, description="Perceptual hash (hex), for analytics.")
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    size: int = Field(ge=1)
    mime: Literal["image/jpeg"] = "image/jpeg"
    source_format: str | None = Field(default=None, description="Sniffed format of the upload.")

    @model_validator(mode="after")
    def _key_is_the_hash(self) -> PreparedImage:
        # The key is a claim check the gpt5 stage reads: a message naming any other object (another
        # user's image, a raw upload, a cache entry) is refused at decoding, i.e. dead-lettered.
        if self.key != f"images/{self.sha256}.jpg":
            raise ValueError("key must be images/<sha256>.jpg for the message's sha256")
        return self


class ItemState(_Model):
    """The state of one item as analysed; rules' conditions are keyed on these fields."""

    lid: Literal["closed", "open", "none", "unknown"] = "unknown"
    label: Literal["attached", "removed", "none", "unknown"] = "unknown"
    residue: Literal["present", "absent", "unknown"] = "unknown"
    tape: Literal["attached", "removed", "none", "unknown"] = "unknown"
    cleaned: bool | None = None
    contaminated: bool | None = None
    broken: bool | None = None
    gas_remaining: bool | None = None
    battery_inside: bool | None = None
    # Added compatibly (optional, "unknown"/None by default): the dimensions an item's category can
    # depend on — what it is made of, whether it fits a bag, household amount vs renovation volume,
    # clear vs coloured, coated or laminated.
    material: Literal["paper", "plastic", "vinyl", "styrofoam", "glass", "metal", "wood", "fabric", "rubber",
                      "ceramic", "stone", "leather", "mixed", "unknown"] = "unknown"
    size: Literal["fits_bag", "oversized", "unknown"] = "unknown"
    quantity: Literal["household", "bulk", "unknown"] = "unknown"
    colour: Literal["clear", "coloured", "unknown"] = "unknown"
    coated: bool | None = None
    amount_left: Literal["none", "little", "much", "unknown"] = "unknown"  # of the contents: "반도 안 썼어요"

    def known(self) -> dict[str, Any]:
        """Only the fields that carry information (not unknown/None)."""
        return {k: v for k, v in self.model_dump().items() if v not in ("unknown", None)}


class ItemRef(_Model):
    item_id: str
    name: str
    official_category: OfficialCategory | None = None


class DetectedItem(_Model):
    """One distinct item, as the gpt5 stage (or the offline text resolver) saw it."""

    item_id: str | None = Field(default=None, description="Catalogue id (may be unknown to the catalogue).")
    name: str = Field(description="Korean name of the item.")
    official_category: OfficialCategory | None = None
    subcategory: str | None = None
    state: ItemState = ItemState()
    description: str = ""
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    match: MatchKind = Field(default="none", description="How item_id was matched, when text-resolved.")


class RegionRef(_Model):
    """A 시·군·구: the finest place bunri ever keeps or logs (never an address)."""

    code: str = Field(pattern=r"^\d{5}$", description="시·군·구 code: the first five digits of the MOIS "
                                                       "administrative code, e.g. 11680.")
    sido: str = Field(max_length=20, description="시·도, e.g. 서울특별시.")
    sigungu: str = Field(default="", max_length=30, description="시·군·구, e.g. 강남구 (empty for 세종특별자치시).")
    given: Literal["request", "question"] = Field(
        default="request", description="How it was given: the request's region field, or read from the question.")


class Clarification(_Model):
    question: str = Field(description="What to ask the user (Korean).")
    candidates: list[ItemRef] = Field(default_factory=list)
    regions: list[RegionRef] = Field(default_factory=list,
                                     description="The districts a region the user named may be (중구: which 시·도).")


class VisionAnalysis(_Model):
    """Structured output of the gpt5 stage. ``items[0]`` is the primary item."""

    items: list[DetectedItem] = Field(default_factory=list, max_length=10)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    saw_image: bool = Field(description="False when no model looked at a photo (offline or text-only).")
    method: Literal["vision", "text", "cache"] = "vision"
    needs_clarification: bool = False
    clarification: Clarification | None = None
    notes: list[str] = Field(default_factory=list)


class RuleUsed(_Model):
    """One rule sentence that went into the answer, with where it came from."""

    item_id: str
    rule_id: str = Field(description="e.g. water_pet_bottle:step:1, water_pet_bottle:cond:label_attached.")
    kind: Literal["step", "condition", "category", "not_this", "note"]
    text: str
    sources: list[SourceRef] = Field(default_factory=list)


class ItemGuidance(_Model):
    """The rules selected for one item, after applying its state."""

    item_id: str | None
    name: str
    official_category: OfficialCategory | None
    channel: str | None = None
    recyclable: bool | None = None
    route: Route | None = Field(default=None, description="Where it ends: recycle, reuse, special, dispose.")
    match: MatchKind = "none"
    cases: list[str] = Field(default_factory=list,
                             description="One line per case when the category depends on material, size or "
                                         "amount that the question did not settle.")
    low_confidence: bool = Field(default=False, description="The document is derived, not stated in a source.")
    includes: list[str] = Field(default_factory=list,
                                description="Category-level guidance: what belongs in the category.")
    safety: list[str] = Field(default_factory=list,
                              description="Safety warnings for this item in this state (answers put them second).")
    steps: list[str] = Field(default_factory=list)
    applied_conditions: list[str] = Field(default_factory=list)
    not_this: list[str] = Field(default_factory=list)
    region_note: str | None = None
    conflict_note: str | None = None
    rules: list[RuleUsed] = Field(default_factory=list)
    district: str | None = Field(default=None,
                                 description="With a region: one line, the district's day, time and place for "
                                             "this item's stream, its own rule, or where to look them up.")


class ModelUsage(_Model):
    stage: str
    model: str
    calls: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    cached_input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)


class Usage(_Model):
    """Tokens and estimated cost, summed over every model call for the query."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: list[ModelUsage] = Field(default_factory=list)

    def add(self, call: ModelUsage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + call.input_tokens,
            cached_input_tokens=self.cached_input_tokens + call.cached_input_tokens,
            output_tokens=self.output_tokens + call.output_tokens,
            cost_usd=round(self.cost_usd + call.cost_usd, 8),
            calls=[*self.calls, call],
        )


Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
_PROMPTS = "Prompt version per model stage, label@hash of the prompt text and schema (absent offline)."


class _StageMessage(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    envelope: Envelope
    question: Question
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Per-stage processing time.")
    provider: dict[str, str] = Field(default_factory=dict, description="Model (or 'offline') per stage.")
    prompts: dict[str, str] = Field(default_factory=dict, description=_PROMPTS)
    usage: Usage = Usage()
    degraded: bool = False
    warnings: list[str] = Field(default_factory=list)
    region: RegionRef | None = Field(default=None, description="The user's 시·군·구, when known.")
    region_choices: list[RegionRef] = Field(
        default_factory=list, description="The districts an ambiguous region may be (중구); the answer asks which.")

    @field_validator("question")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("question is empty")
        return v


class QueryRequest(_StageMessage):
    """``q.preprocess``: a query accepted by the gateway or the CLI."""

    image: ImageRef | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)
    use_cache: bool = True


class PreparedQuery(_StageMessage):
    """``q.gpt5``: validated, normalised input."""

    image: PreparedImage | None = None
    use_cache: bool = True


class NameReading(_Model):
    """What the text resolver made of an analysed item the catalogue does not list (its name, description,
    then the question): an item, or a fuzzy guess against the analysis's category, or a category hint."""

    item_id: str | None = None
    name: str = ""
    official_category: OfficialCategory | None = None
    match: MatchKind = "none"
    disagrees: bool = Field(default=False, description="A fuzzy guess contradicting the analysis's category.")


class QuestionReading(_Model):
    """The gpt5 stage's reading of the question for the rag stage, which then needs no Korean analyser."""

    state: ItemState = Field(default=ItemState(), description="The question's condition words (single item).")
    items: list[NameReading | None] = Field(
        default_factory=list, description="Per analysed item, in order; null: looked up by id or category.")


class AnalysedQuery(_StageMessage):
    """``q.rag``: the gpt5 stage's analysis."""

    image: PreparedImage | None = None
    analysis: VisionAnalysis
    reading: QuestionReading | None = Field(
        default=None, description="Absent from older producers: the rag stage then reads the question itself.")
    use_cache: bool = True


class RuleContext(_StageMessage):
    """``q.gpt4o``: the rules selected for each analysed item, and the prompt context."""

    image: PreparedImage | None = None
    analysis: VisionAnalysis
    guidance: list[ItemGuidance] = Field(default_factory=list)
    context: str = Field(default="", description="Rules text handed to the answer model.")
    rules_version: str = ""
    use_cache: bool = True


class Answer(_Model):
    """``q.reply`` (kind=answer): the result object, identical for HTTP and the CLI's --json."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["answer"] = "answer"
    query_id: UUID
    question: str
    answer: str = Field(description="Korean guidance text.")
    item: ItemRef | None = Field(description="Primary item, or null when unresolved.")
    items: list[ItemGuidance] = Field(default_factory=list, description="Guidance per item in the photo.")
    analysis: VisionAnalysis
    rules: list[RuleUsed] = Field(default_factory=list)
    provider: dict[str, str] = Field(default_factory=dict)
    degraded: bool = False
    needs_clarification: bool = False
    clarification: Clarification | None = None
    cache_hit: bool = False
    rules_version: str = ""
    warnings: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    usage: Usage = Usage()
    created_at: AwareDatetime = Field(default_factory=utcnow)
    prompts: dict[str, str] = Field(default_factory=dict, description=_PROMPTS)
    bunri_version: str = Field(default="", description="Version of the bunri worker that sent the reply.")
    accepted_at: AwareDatetime | None = Field(default=None, description="When the query was accepted.")
    replay_of: UUID | None = Field(default=None, description="The recorded query this replay re-ran.")
    region: RegionRef | None = Field(default=None, description="The 시·군·구 the answer was written for.")


class Failure(_Model):
    """``q.reply`` (kind=failure): the query could not be answered."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["failure"] = "failure"
    query_id: UUID
    reason: FailureReason
    message: str
    stage: str
    timings_ms: dict[str, float] = Field(default_factory=dict)
    created_at: AwareDatetime = Field(default_factory=utcnow)
    bunri_version: str = Field(default="", description="Version of the bunri worker that sent the reply.")
    accepted_at: AwareDatetime | None = Field(default=None, description="When the query was accepted.")
    replay_of: UUID | None = Field(default=None, description="The recorded query this replay re-ran.")


Reply = Annotated[Answer | Failure, Field(discriminator="kind")]


class DeadLetter(_Model):
    """``q.dead-letter``: a message a stage could not process, with the reason."""

    schema_version: Literal[1] = SCHEMA_VERSION
    query_id: UUID | None = Field(description="Null when the payload could not even be parsed.")
    stage: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    reason: FailureReason
    error: str = Field(description="Exception type and message.")
    payload: str = Field(description="Original value as UTF-8 (invalid bytes replaced), cut to 64 KiB.")
    payload_truncated: bool = False
    failed_at: AwareDatetime = Field(default_factory=utcnow)


#: A query's steps on ``q.events``, in the order they happen; ``answer`` or ``failure`` ends it.
ProgressKind = Literal["accepted", "preprocessed", "analysed", "rules", "answer", "failure"]


class ItemGuess(_Model):
    """An item as a stage saw it, in a progress event (before the rules, or with its category after)."""

    item_id: str | None = None
    name: str
    official_category: OfficialCategory | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class ProgressEvent(_Model):
    """``q.events``: one step of one query, published as it happens (live clients over SSE, analytics)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    query_id: UUID
    event: ProgressKind
    stage: str = Field(description="Who published it: gateway, preprocess, gpt5, rag or gpt4o.")
    at: AwareDatetime = Field(default_factory=utcnow)
    elapsed_ms: float | None = Field(default=None, description="Since the query was accepted (envelope.created_at).")
    has_image: bool | None = Field(default=None, description="accepted, preprocessed: the query has a photo.")
    cache_hit: bool | None = Field(default=None, description="preprocessed: answered from the answer cache.")
    method: Literal["vision", "text", "cache"] | None = Field(default=None, description="analysed: how.")
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, description="analysed: overall confidence.")
    needs_clarification: bool | None = Field(default=None, description="analysed: the user will be asked.")
    items: list[ItemGuess] = Field(default_factory=list, max_length=10,
                                   description="analysed: the item guesses; rules: the items and their categories.")
    rules_count: int | None = Field(default=None, ge=0, description="rules: rule sentences selected.")
    answer: Answer | None = Field(default=None, description="answer: the result object, as on q.reply.")
    failure: Failure | None = Field(default=None, description="failure: the Failure, as on q.reply.")
    client: str | None = Field(default=None, max_length=40,
                               description="accepted: the id of the API key that submitted the query (never the "
                                           "key); null when the gateway runs without keys.")
    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$",
                                    description="accepted, with an Idempotency-Key: SHA-256 of the request (question, "
                                                "photo, region); a reuse of the key for another request is refused.")
    claim: str | None = Field(default=None, max_length=40,
                              description="accepted, with an Idempotency-Key: the claiming request's nonce; the first "
                                          "claim on the query's partition runs the query, the others attach to it.")


class Feedback(_Model):
    """``q.feedback``: what a user said about an answer (``POST /v1/queries/{id}/feedback``)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    query_id: UUID
    helpful: bool
    correct_category: OfficialCategory | None = Field(default=None, description="The category the user says is right.")
    correct_item: str | None = Field(default=None, min_length=1, max_length=MAX_FEEDBACK_ITEM_CHARS,
                                     description="What the item really is, in the user's words.")
    comment: str | None = Field(default=None, min_length=1, max_length=MAX_FEEDBACK_COMMENT_CHARS)
    question: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS,
                                 description="The query's question, copied by the gateway from the reply.")
    answered_item: ItemRef | None = Field(default=None, description="The primary item the answer named.")
    needs_clarification: bool = Field(default=False, description="The answer asked the user which item it was.")
    received_at: AwareDatetime = Field(default_factory=utcnow)


_REPLY_ADAPTER: TypeAdapter[Answer | Failure] = TypeAdapter(Reply)
_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")
#: (value type, field path) already logged: a producer that added a field logs once, not per message.
_UNKNOWN_LOGGED: set[tuple[str, str]] = set()


def decode(model: type[_M], data: bytes | str) -> _M:
    """Read a topic value as ``model``, ignoring fields this version does not know (tolerant reader).

    Writers stay strict: building a model with an unknown field still fails, so a producer cannot
    drift silently. A reader, though, must accept a newer producer's added optional field
    (docs/topics.md, Versioning); each such field is logged once per process.

    Raises:
        pydantic.ValidationError: the value is not JSON, or a known field is missing or invalid.
    """
    return _tolerant(model.model_validate_json, data, model.__name__)


def parse_reply(data: bytes | str) -> Answer | Failure:
    """Decode a ``q.reply`` value into an Answer or a Failure (a tolerant reader, like :func:`decode`)."""
    return _tolerant(_REPLY_ADAPTER.validate_json, data, "Reply")


def _tolerant(validate: Callable[..., _T], data: bytes | str, name: str) -> _T:
    try:
        return validate(data)  # the common case: nothing unknown, one strict pass
    except ValidationError as exc:
        errors = exc.errors()
        if not errors or any(e["type"] != "extra_forbidden" for e in errors):
            raise
        unknown = sorted({".".join("[]" if isinstance(p, int) else str(p) for p in e["loc"]) for e in errors})
    fresh = [path for path in unknown if (name, path) not in _UNKNOWN_LOGGED]
    if fresh:
        _UNKNOWN_LOGGED.update((name, path) for path in fresh)
        logger.warning("%s: ignoring field(s) this version does not know: %s (logged once per field)",
                       name, ", ".join(fresh))
    return validate(data, extra="ignore")
