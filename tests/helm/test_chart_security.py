"""The chart's security settings (issue 16): keys on, workers on the pod IP, Kafka TLS/SASL everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.test_chart_env import all_envs, settings_from  # noqa: F401  (fixture)

pytestmark = pytest.mark.helm

MSK = ("kafka.security.protocol=SASL_SSL", "kafka.security.saslMechanism=SCRAM-SHA-512",
       "kafka.security.existingSecret=msk-scram", "kafka.security.tlsSecret=kafka-ca")


def _containers(render: Any) -> dict[str, dict[str, Any]]:
    out = {d.name: d.obj["spec"]["template"]["spec"] for d in render.kinds("Deployment")}
    out.update({j.name: j.obj["spec"]["template"]["spec"] for j in render.kinds("Job")})
    return out


def test_gateway_requires_keys_from_a_secret_and_workers_bind_the_pod_ip(default_render: Any,
                                                                       settings_from: Any) -> None:  # noqa: F811
    envs = all_envs(default_render)
    gateway = settings_from(envs["bunri-gateway"])
    assert gateway.auth.enabled and str(gateway.auth.keys_file) == "/var/run/secrets/bunri-keys/keys.json"
    assert gateway.limits.rpm_per_key == 60 and gateway.limits.inflight_total == 500
    spec = _containers(default_render)["bunri-gateway"]
    assert {"name": "api-keys", "secret": {"secretName": "bunri-api-keys"}} in spec["volumes"]
    for name, pod in _containers(default_render).items():
        if name in ("bunri-gateway",) or "topics" in name:
            continue
        env = {e["name"]: e for e in pod["containers"][0].get("env", [])}
        assert env["BUNRI_WORKER__WEB_HOST"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}, name
    assert not [s for s in default_render.kinds("Service") if "gateway" not in s.name]  # workers have none


def test_kafka_tls_and_sasl_reach_every_component_and_the_topic_job(helm: Any, settings_from: Any) -> None:  # noqa: F811
    render = helm.template(sets=MSK)
    envs = all_envs(render)
    assert envs
    for name, env in envs.items():
        kafka = settings_from(env).kafka
        assert kafka.security_protocol == "SASL_SSL" and kafka.sasl_mechanism == "SCRAM-SHA-512", name
        assert kafka.sasl_username and kafka.sasl_password, name
        assert str(kafka.ssl_ca_file) == "/var/run/secrets/bunri-kafka/ca.crt", name
    for name, pod in _containers(render).items():
        assert {"name": "kafka-tls", "secret": {"secretName": "kafka-ca"}} in pod["volumes"], name
        mounts = pod["containers"][0]["volumeMounts"]
        assert {"name": "kafka-tls", "mountPath": "/var/run/secrets/bunri-kafka", "readOnly": True} in mounts
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert env["BUNRI_KAFKA__SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "msk-scram", name


def test_keys_without_a_secret_fail_to_render(helm: Any) -> None:
    result = helm.template_raw(sets=("auth.existingSecret=",))
    assert result.returncode != 0 and "auth.existingSecret is required" in result.stderr


def test_a_bad_protocol_fails_lint(helm: Any) -> None:
    result = helm.lint(sets=("kafka.security.protocol=TLS",))
    assert result.returncode != 0
