"""Build the stages' models from :class:`~streams.settings.Settings`, once, at the process edge.

The stage names are the seed's (``gpt5``, ``gpt4o``); the models behind them are whatever
``BUNRI_GPT5__MODEL`` / ``BUNRI_GPT4O__MODEL`` say (defaults ``gpt-5`` and ``gpt-4o-mini``).
Both talk to ``OPENAI_BASE_URL`` (default: OpenAI) with ``OPENAI_API_KEY``. Without a key the
process is offline: both models are ``None`` and the stages use :mod:`streams.offline`.

Example:
    models = make_models(settings)
    limiters = make_limiters(settings)
    try:
        ...  # analyse(..., vision=models.vision, limiter=limiters.vision, prices=models.prices)
    finally:
        await models.aclose()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.llm.base import ChatModel
from streams.llm.pricing import PriceTable, load_prices
from streams.llm.ratelimit import RateLimiter
from streams.settings import ModelSettings, Settings

__all__ = ["Limiters", "Models", "make_limiters", "make_models"]


@dataclass(frozen=True)
class Models:
    """The vision (gpt5 stage) and answer (gpt4o stage) models (``None`` when offline) and prices."""

    vision: ChatModel | None
    answer: ChatModel | None
    prices: PriceTable = field(default_factory=load_prices)
    _clients: tuple[Any, ...] = field(default=(), repr=False)

    async def aclose(self) -> None:
        """Close the HTTP clients (connection pools)."""
        for client in self._clients:
            await client.close()


@dataclass(frozen=True)
class Limiters:
    """One client-side rate limiter per model, shared by all in-flight queries of a worker."""

    vision: RateLimiter
    answer: RateLimiter


def make_models(settings: Settings, *, http_client: Any = None, prices: PriceTable | None = None) -> Models:
    """The models for ``settings``; both ``None`` when ``settings.offline``.

    Args:
        settings: Process settings (``gpt5``/``gpt4o`` blocks, API key, base URL).
        http_client: An ``httpx2.AsyncClient`` to use instead of the SDK's own (tests).
        prices: Price table; default: :func:`~streams.llm.pricing.load_prices` (``BUNRI_PRICES``).
    """
    prices = prices or load_prices()
    if settings.offline:
        return Models(None, None, prices)
    vision, c1 = _model(settings, settings.gpt5, http_client)
    answer, c2 = _model(settings, settings.gpt4o, http_client)
    return Models(vision, answer, prices, (c1, c2))


def make_limiters(settings: Settings) -> Limiters:
    """Rate limiters from ``BUNRI_GPT5__RPM``/``__TPM`` and ``BUNRI_GPT4O__RPM``/``__TPM``."""
    return Limiters(RateLimiter.from_settings(settings.gpt5), RateLimiter.from_settings(settings.gpt4o))


def _model(settings: Settings, ms: ModelSettings, http_client: Any) -> tuple[ChatModel, Any]:
    # Imported here so that offline processes (and `import streams.llm.factory`) never load openai.
    from openai import AsyncOpenAI

    from streams.llm.openai_compat import OpenAICompatibleModel

    assert settings.openai_api_key is not None  # not offline
    client = AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=ms.timeout_s,
        max_retries=ms.max_retries,
        http_client=http_client,
    )
    # reasoning_effort is read if the settings carry it (None: the parameter is not sent).
    effort = getattr(ms, "reasoning_effort", None)
    return OpenAICompatibleModel(ms.model, client=client, reasoning_effort=effort), client
