"""The chart's environment is the one the processes read (streams/settings.py).

Settings ignore unknown variables (extra="ignore"), so a misspelt BUNRI_* name in a template would
be dropped silently. These tests resolve every rendered BUNRI_* name to a Settings field and build
Settings from each component's rendered environment.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import BaseModel

from streams.settings import Settings

pytestmark = pytest.mark.helm

#: Variables read outside the BUNRI_ prefix: Settings' aliases, and boto3's own.
SDK_ENV = {
    "KAFKA_BOOTSTRAP",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
FROM_SECRET = "value-from-a-secret"  # noqa: S105 - a stub, not a credential


def field_exists(model: type[BaseModel], parts: list[str]) -> bool:
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    if len(parts) == 1:
        return True
    nested = field.annotation
    return isinstance(nested, type) and issubclass(nested, BaseModel) and field_exists(nested, parts[1:])


def container_env(render: Any, deployment: dict[str, Any]) -> dict[str, str]:
    """What the container's process sees: envFrom ConfigMaps, then env (secrets stubbed)."""
    c = deployment["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for source in c.get("envFrom", []):
        env.update(render.get("ConfigMap", source["configMapRef"]["name"]).get("data", {}))
    for entry in c.get("env", []):
        env[entry["name"]] = entry["value"] if "value" in entry else FROM_SECRET
    return env


def all_envs(render: Any) -> dict[str, dict[str, str]]:
    envs = {d.name: container_env(render, d.obj) for d in render.kinds("Deployment")}
    for job in render.kinds("Job"):
        c = job.obj["spec"]["template"]["spec"]["containers"][0]
        envs[job.name] = {e["name"]: e.get("value", FROM_SECRET) for e in c["env"]}  # SASL: from a Secret
    return envs


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Any:
    def build(env: dict[str, str]) -> Settings:
        for key in list(os.environ):
            if key.startswith(("BUNRI_", "AWS_", "OPENAI_")) or key in SDK_ENV:
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return Settings()

    return build


def test_every_rendered_variable_is_a_setting(render: Any) -> None:
    unknown = set()
    for component, env in all_envs(render).items():
        for key in env:
            if key in SDK_ENV:
                continue
            assert key.startswith("BUNRI_"), f"{component}: {key} is neither BUNRI_* nor an SDK variable"
            if not field_exists(Settings, key.removeprefix("BUNRI_").lower().split("__")):
                unknown.add(f"{component}: {key}")
    assert not unknown, "variables no Settings field reads:\n" + "\n".join(sorted(unknown))


def test_each_component_builds_its_settings(default_render: Any, settings_from: Any) -> None:
    envs = all_envs(default_render)
    for name, env in envs.items():
        s = settings_from(env)
        assert s.bootstrap == "bunri-kafka-bootstrap.kafka.svc:9092", name
        assert s.kafka.partitions.model_dump() == {
            "preprocess": 6,
            "gpt5": 10,
            "rag": 4,
            "gpt4o": 6,
            "reply": 6,
            "dead_letter": 3,
            "events": 6,
            "feedback": 3,
        }, name
        assert s.kafka.replication_factor == 3
        assert str(s.data_dir) == "/var/lib/bunri"
    gpt5 = settings_from(envs["bunri-gpt5"])
    assert gpt5.worker.concurrency.of("gpt5") == 20
    assert gpt5.worker.web_port == 6066
    assert gpt5.gpt5.model == "gpt-5"
    assert gpt5.gpt5.tpm == 1_000_000
    assert gpt5.gpt5.reasoning_effort == "low" and gpt5.gpt5.max_output_tokens == 4000
    assert settings_from(envs["bunri-preprocess"]).preprocess.pool_workers == 2
    assert gpt5.s3.bucket == "bunri-images"
    assert not gpt5.offline
    assert settings_from(envs["bunri-gpt4o"]).gpt4o.model == "gpt-4o-mini"
    assert settings_from(envs["bunri-preprocess"]).preprocess.max_edge == 1024
    assert settings_from(envs["bunri-rag"]).offline, "only the model stages get the API key"
    assert settings_from(envs["bunri-gateway"]).query_timeout_s == 30


def test_local_store_profile_builds_offline_local_settings(helm: Any, settings_from: Any) -> None:
    envs = all_envs(helm.template("ci/local-store-values.yaml"))
    gpt5 = settings_from(envs["bunri-gpt5"])
    assert gpt5.offline
    assert gpt5.s3.bucket is None, "local backend: no bucket, so the app picks its LocalStore"
    assert gpt5.openai_base_url == "http://vllm.llm.svc:8000/v1"
    assert gpt5.gpt5.max_retries == 0, "extraEnv wins over the ConfigMap"
