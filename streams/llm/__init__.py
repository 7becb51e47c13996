"""Model providers: one protocol, one OpenAI-compatible implementation, a fake for tests.

Importing this package never imports ``openai``; only :mod:`streams.llm.openai_compat` does,
and :func:`make_models` loads it lazily when an API key is configured.
"""

from streams.llm.base import ChatModel, ChatRequest, ChatResult, ImagePart, TextPart, TokenUsage, Turn
from streams.llm.factory import Limiters, Models, make_limiters, make_models
from streams.llm.pricing import PriceTable, load_prices
from streams.llm.ratelimit import RateLimitedModel, RateLimiter

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "ImagePart",
    "Limiters",
    "Models",
    "PriceTable",
    "RateLimitedModel",
    "RateLimiter",
    "TextPart",
    "TokenUsage",
    "Turn",
    "load_prices",
    "make_limiters",
    "make_models",
]
