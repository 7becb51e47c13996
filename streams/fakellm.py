"""A fake OpenAI-compatible server for load tests, demos and integration tests.

``bunri fake-llm --port 9100`` serves ``POST /v1/chat/completions`` and ``GET /v1/models``
with *valid* structured outputs for whatever JSON schema it is sent, realistic usage
numbers, latency drawn from configurable ranges (seed defaults: vision 3-5 s, answer 1-2 s)
and injected faults, deterministic for a given ``--seed``. ``GET /_stats`` counts calls per
model and faults per kind; with ``trace`` (a regex, e.g. ``bq[0-9]+``) ``GET /_trace`` gives the seconds
spent answering the calls whose prompt contains each match (load benchmarks subtract it).
Point bunri at it with ``OPENAI_BASE_URL=http://127.0.0.1:9100/v1``
and any ``OPENAI_API_KEY``.

Faults (each request draws one with probability ``fault_rate``, uniformly from ``faults``):

- ``429``: rate limited, with ``Retry-After``;
- ``500``: server error;
- ``timeout``: sleeps ``timeout_sleep_s`` (past any client timeout) before answering;
- ``malformed``: 200 with the content cut in half (invalid JSON for structured output);
- ``truncated_utf8`` (only when named in ``faults``): 200 whose body is cut one byte into a multi-byte
  UTF-8 character, as a connection dropped mid-body delivers it.

Example (tests):
    with FakeLLMServer(FakeLLMConfig(vision_latency=(0, 0), answer_latency=(0, 0))) as server:
        client = AsyncOpenAI(api_key="x", base_url=server.base_url)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from streams.fakellm_content import answer_text, fill_schema, prompt_text, vision_hints

__all__ = ["FAULTS", "FakeLLMConfig", "FakeLLMServer", "create_app", "parse_range"]

DEFAULT_FAULTS = ("429", "500", "timeout", "malformed")
FAULTS = (*DEFAULT_FAULTS, "truncated_utf8")
DEFAULT_MODELS = ("gpt-5", "gpt-5-mini", "gpt-4o", "gpt-4o-mini")


def parse_range(text: str) -> tuple[float, float]:
    """``"3-5"`` -> ``(3.0, 5.0)``; ``"2"`` -> ``(2.0, 2.0)``."""
    lo, _, hi = text.partition("-")
    low = float(lo)
    high = float(hi) if hi else low
    if low < 0 or high < low:
        raise ValueError(f"invalid range {text!r}: want LOW-HIGH seconds with 0 <= LOW <= HIGH")
    return low, high


@dataclass(frozen=True)
class FakeLLMConfig:
    """Behaviour of the fake server (all seconds)."""

    vision_latency: tuple[float, float] = (3.0, 5.0)
    answer_latency: tuple[float, float] = (1.0, 2.0)
    fault_rate: float = 0.0
    faults: tuple[str, ...] = DEFAULT_FAULTS
    seed: int | None = None
    retry_after_s: float = 1.0
    timeout_sleep_s: float = 120.0
    trace: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULTS)
        if unknown or not 0 <= self.fault_rate <= 1:
            raise ValueError(f"faults must be among {FAULTS} and fault_rate in [0, 1] "
                             f"(got {sorted(unknown)}, {self.fault_rate})")


@dataclass
class _State:
    config: FakeLLMConfig
    rng: random.Random
    calls: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    seen_systems: set[str] = field(default_factory=set)
    traced: dict[str, float] = field(default_factory=dict)
    # calls per "<mark> <model>": a fault test asserts no query's call was made (paid) twice
    traced_calls: Counter[str] = field(default_factory=Counter)

    def draw(self, vision: bool) -> tuple[float, str | None]:
        """Latency and fault for one request (one draw order, so a seed replays a run)."""
        lo, hi = self.config.vision_latency if vision else self.config.answer_latency
        latency = self.rng.uniform(lo, hi)
        fault = None
        if self.config.faults and self.rng.random() < self.config.fault_rate:
            fault = self.rng.choice(self.config.faults)
        return latency, fault


def create_app(config: FakeLLMConfig | None = None) -> FastAPI:
    """The fake server as a FastAPI app."""
    config = config or FakeLLMConfig()
    state = _State(config, random.Random(config.seed))  # noqa: S311  (simulation, not security)
    app = FastAPI(title="bunri fake LLM", docs_url=None, redoc_url=None)
    app.state.fake = state

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        names = sorted({*DEFAULT_MODELS, *state.calls})
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "bunri-fake"} for n in names]
        return {"object": "list", "data": data}

    @app.get("/_stats")
    async def stats() -> dict[str, Any]:
        return {"calls": dict(state.calls), "faults": dict(state.faults), "total": sum(state.calls.values())}

    @app.get("/_trace")
    async def trace() -> dict[str, float]:
        return state.traced

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "request body is not JSON", "invalid_request_error")
        problem = _check(body)
        if problem:
            return _error(400, problem, "invalid_request_error")
        model = str(body["model"])
        state.calls[model] += 1
        if config.trace:  # counted when the call starts: a call abandoned mid-way is paid too
            for mark in set(re.findall(config.trace, "\n".join(prompt_text(body)))):
                state.traced_calls[f"{mark} {model}"] += 1
        latency, fault = state.draw(vision=_is_vision(body))
        if fault:
            state.faults[fault] += 1
        began = time.perf_counter()
        try:
            return await _respond(state, body, latency, fault)
        finally:
            if config.trace:
                for mark in set(re.findall(config.trace, "\n".join(prompt_text(body)))):
                    state.traced[mark] = state.traced.get(mark, 0.0) + time.perf_counter() - began

    return app


def _check(body: Any) -> str | None:
    if not isinstance(body, dict) or not body.get("model") or not isinstance(body.get("messages"), list):
        return "'model' and 'messages' are required"
    if "max_tokens" in body and str(body["model"]).startswith(("gpt-5", "o1", "o3", "o4")):
        # What OpenAI says to reasoning models; keeps our use of max_completion_tokens honest.
        return "Unsupported parameter: 'max_tokens' is not supported with this model. " \
               "Use 'max_completion_tokens' instead."
    return None


def _is_vision(body: dict[str, Any]) -> bool:
    for msg in body["messages"]:
        content = msg.get("content")
        parts = content if isinstance(content, list) else []
        if any(isinstance(p, dict) and p.get("type") == "image_url" for p in parts):
            return True
    return _schema(body) is not None


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema") or {}
    return None


async def _respond(state: _State, body: dict[str, Any], latency: float, fault: str | None) -> Response:
    if fault == "429":
        return _error(429, "Rate limit reached (injected)", "rate_limit_exceeded",
                      headers={"retry-after": f"{state.config.retry_after_s:g}"})
    if fault == "500":
        return _error(500, "The server had an error (injected)", "server_error")
    await asyncio.sleep(state.config.timeout_sleep_s if fault == "timeout" else latency)
    system, user = prompt_text(body)
    schema = _schema(body)
    if schema is not None:
        hints = vision_hints(system, user) if "|" in system else None
        content = json.dumps(fill_schema(schema, hints), ensure_ascii=False)
    else:
        content = answer_text(user)
    if fault == "malformed":
        content = content[: len(content) // 2]
    if fault == "truncated_utf8":
        raw = json.dumps(_completion(state, body, system, user, content), ensure_ascii=False).encode()
        first = next((i for i, b in enumerate(raw) if b >= 0xC0), len(raw) - 1)  # a multi-byte lead byte
        return Response(raw[: first + 1], media_type="application/json")
    return JSONResponse(_completion(state, body, system, user, content))


def _completion(state: _State, body: dict[str, Any], system: str, user: str, content: str) -> dict[str, Any]:
    images = sum(1 for m in body["messages"] if isinstance(m.get("content"), list)
                 for p in m["content"] if isinstance(p, dict) and p.get("type") == "image_url")
    system_tokens = len(system.encode()) // 3
    digest = hashlib.sha256(system.encode()).hexdigest()
    # Like provider prompt caching: a repeated system prompt (the long catalogue) counts as cached.
    cached = system_tokens if digest in state.seen_systems else 0
    state.seen_systems.add(digest)
    prompt_tokens = system_tokens + len(user.encode()) // 3 + 85 * images + 8
    completion_tokens = max(1, len(content.encode()) // 3)
    return {
        "id": f"chatcmpl-fake-{sum(state.calls.values())}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content, "refusal": None}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": kind}},
                        status_code=status, headers=headers)


class FakeLLMServer:
    """The fake server in a background thread on 127.0.0.1 and a free port (for tests).

    Example:
        with FakeLLMServer(FakeLLMConfig(vision_latency=(0, 0))) as server:
            ...  # server.base_url, server.stats()
    """

    def __init__(
        self, config: FakeLLMConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = create_app(config)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                                     timeout_graceful_shutdown=1))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="fake-llm", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def stats(self) -> dict[str, Any]:
        state: _State = self.app.state.fake
        return {"calls": dict(state.calls), "faults": dict(state.faults), "total": sum(state.calls.values())}

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()
