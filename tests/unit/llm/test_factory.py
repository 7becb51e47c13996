"""make_models / make_limiters from Settings."""

from __future__ import annotations

import httpx2
import pytest

from streams.llm import make_limiters, make_models
from streams.llm.base import ChatRequest, TextPart
from streams.llm.openai_compat import OpenAICompatibleModel
from streams.settings import Settings
from tests.unit.llm.conftest import Recorder, ok


def test_offline_without_a_key() -> None:
    models = make_models(Settings())
    assert models.vision is None and models.answer is None
    assert models.prices.price("gpt-5") is not None


async def test_models_per_stage_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BUNRI_GPT5__MODEL", "gpt-5-mini")
    monkeypatch.setenv("BUNRI_GPT4O__MODEL", "gpt-4o")
    monkeypatch.setenv("BUNRI_GPT4O__TIMEOUT_S", "12")
    monkeypatch.setenv("BUNRI_GPT4O__MAX_RETRIES", "4")
    recorder = Recorder(ok("답"))
    settings = Settings()
    models = make_models(settings, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)))
    assert isinstance(models.vision, OpenAICompatibleModel)
    assert isinstance(models.answer, OpenAICompatibleModel)
    assert (models.vision.model_id, models.answer.model_id) == ("gpt-5-mini", "gpt-4o")
    client = models.answer._client
    assert client.timeout == 12 and client.max_retries == 4
    await models.answer.complete(ChatRequest(system="s", parts=(TextPart("q"),)))
    assert str(recorder.requests[0].url) == "http://127.0.0.1:9/v1/chat/completions"
    assert recorder.requests[0].headers["authorization"] == "Bearer sk-test"
    await models.aclose()


def test_limiters_follow_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Note: a nested override needs the block's MODEL too (ModelSettings.model has no default).
    monkeypatch.setenv("BUNRI_GPT5__MODEL", "gpt-5")
    monkeypatch.setenv("BUNRI_GPT5__TPM", "1000")
    limiters = make_limiters(Settings())
    assert limiters.vision.available_tokens == 1000 and limiters.answer.name == "gpt-4o-mini"
