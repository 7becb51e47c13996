"""Idempotency race across two gateway replicas: 20 concurrent requests with one key run the pipeline once.

The question carries a mark; the fake model counts the calls whose prompt holds it, per model, so
"once" is what the model was paid for, not what the gateways say. Every client must wait for the
answer (200, not an early 202) and get the same query id and the same answer; the same key with
another question is 422 on either replica.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from streams.broker import EmbeddedBroker
from streams.fakellm import FakeLLMConfig, FakeLLMServer
from tests.faults.conftest import Procs, create_topics, env_for, two_gateways_and_a_worker

pytestmark = [pytest.mark.integration, pytest.mark.faults]

CLIENTS = 20


def test_one_key_over_two_replicas_runs_once(broker: EmbeddedBroker, procs: Procs, tmp_path: Path) -> None:
    create_topics(broker.bootstrap)
    config = FakeLLMConfig(vision_latency=(0.0, 0.0), answer_latency=(1.0, 1.0), seed=3, trace=r"iq\d+")
    with FakeLLMServer(config) as llm:
        calls: Counter[str] = llm.app.state.fake.traced_calls
        env = env_for(broker.bootstrap, tmp_path, OPENAI_API_KEY="test-key", OPENAI_BASE_URL=llm.base_url,
                      BUNRI_CACHE__ENABLED="false")
        gateways = two_gateways_and_a_worker(procs, env)

        def ask(n: int, question: str = "생수병 어떻게 버려요 iq1") -> tuple[httpx.Response, float]:
            began = time.monotonic()
            resp = httpx.post(f"{gateways[n % 2]}/v1/queries?wait=30", json={"question": question},
                              headers={"Idempotency-Key": "race-1"}, timeout=40)
            return resp, time.monotonic() - began

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(ask, range(CLIENTS)))
        reused = [ask(n, "우유팩 어떻게 버려요 iq2")[0] for n in range(2)]

    statuses = Counter(r.status_code for r, _ in results)
    # the same answer object; only timings_ms.total (the request's own wall time, on the first) may differ
    bodies = {json.dumps({k: v for k, v in r.json().items() if k != "timings_ms"}, sort_keys=True)
              for r, _ in results if r.status_code == 200}
    ids = {r.json().get("query_id") for r, _ in results if r.status_code == 200}
    runs = {k: n for k, n in calls.items() if k.startswith("iq1 ")}
    waited = sorted(s for _, s in results)
    print(f"idempotency race, {CLIENTS} clients over 2 replicas: statuses {dict(statuses)}, "  # noqa: T201
          f"distinct query ids {len(ids)}, distinct answers {len(bodies)}, model calls {runs}, "
          f"wait {waited[0]:.2f}-{waited[-1]:.2f}s, reuse {[r.status_code for r in reused]}")
    assert statuses == {200: CLIENTS}, [(r.status_code, r.text[:200]) for r, _ in results]  # all waited
    assert len(ids) == 1 and len(bodies) == 1  # one query, one answer, for every client
    assert runs and all(n == 1 for n in runs.values()), f"the pipeline ran more than once: {runs}"
    assert not any(k.startswith("iq2 ") for k in calls)  # the refused reuse never reached the model
    for resp in reused:
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "idempotency_key_reused", resp.text
