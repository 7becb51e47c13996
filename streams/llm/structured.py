"""Structured output with at most one re-ask: the schema-failure retry layer.

Transport failures are retried by the SDK and crashes by Kafka redelivery; an output that
does not validate is the third failure mode, retried here exactly once by sending the
invalid output and the validation errors back (instructor's idea, without patching the
client). A second failure raises :class:`~streams.errors.LLMOutputInvalid` (permanent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel

from streams.errors import LLMOutputInvalid
from streams.llm.base import ChatModel, ChatRequest, ChatResult

__all__ = ["complete_structured"]

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

#: Re-asks after the first invalid output. One: a model that fails twice on the same
#: schema rarely succeeds a third time, and every try costs deadline and tokens.
MAX_REASKS = 1


async def complete_structured(
    model: ChatModel,
    request: ChatRequest,
    output_type: type[T],
    *,
    on_result: Callable[[ChatResult], None] | None = None,
) -> T:
    """Call ``model`` for a validated ``output_type`` instance, re-asking once if invalid.

    Args:
        model: The chat model.
        request: The request; its ``output_type`` is set to ``output_type`` here.
        output_type: The pydantic model the reply must validate against.
        on_result: Called with every result (valid or not), so callers account usage
            for each call, including the failed ones.

    Returns:
        The validated instance.

    Raises:
        LLMOutputInvalid: the output was still invalid after the re-ask.
        LLMUnavailable, LLMRejected: from the model, unchanged.
    """
    current = replace(request, output_type=output_type)
    for attempt in range(MAX_REASKS + 1):
        result = await model.complete(current)
        if on_result is not None:
            on_result(result)
        if isinstance(result.parsed, output_type):
            return result.parsed
        error = result.error or "the reply was empty or not JSON"
        logger.warning("model=%s structured output invalid (attempt %d): %s", model.model_id, attempt + 1,
                       error.replace("\n", " ")[:300])
        current = current.reask(result.text, error)
    raise LLMOutputInvalid(
        f"{model.model_id} returned invalid {output_type.__name__} after one re-ask: {error}"
    )
