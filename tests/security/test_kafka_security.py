"""TLS and SASL settings reach every Kafka client: faust, the gateway's producer and consumer, admin, probes."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from streams.kafka_clients import client_options, faust_credentials
from streams.settings import KafkaSettings, Settings

SASL = {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "bunri",
        "sasl_password": "s3cret"}


def test_settings_come_from_the_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    for name, value in {"SECURITY_PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "SCRAM-SHA-256",
                        "SASL_USERNAME": "svc", "SASL_PASSWORD_FILE": str(secret)}.items():
        monkeypatch.setenv(f"BUNRI_KAFKA__{name}", value)
    kafka = Settings().kafka
    options = client_options(kafka)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["sasl_plain_username"] == "svc"
    assert options["sasl_plain_password"] == "from-a-file"  # noqa: S105 - a stub, not a credential
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED and options["ssl_context"].check_hostname


def test_plaintext_adds_nothing() -> None:
    assert client_options(KafkaSettings()) == {} and faust_credentials(KafkaSettings()) is None


def test_sasl_plaintext_has_no_tls() -> None:
    plain = {**SASL, "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"}
    options = client_options(KafkaSettings(**plain))
    assert "ssl_context" not in options and options["sasl_mechanism"] == "PLAIN"


@pytest.mark.parametrize("bad", [
    {"security_protocol": "SASL_SSL"},  # no user
    {"security_protocol": "SASL_SSL", "sasl_username": "u"},  # no password
    {"security_protocol": "SSL", "ssl_cert_file": "/c.pem"},  # cert without key
    {"security_protocol": "TLS"}, {"sasl_mechanism": "GSSAPI"},
])
def test_inconsistent_settings_are_refused_at_start(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(**bad)


def test_the_password_is_never_in_the_settings_dump() -> None:
    assert "s3cret" not in repr(KafkaSettings(**SASL)) and "s3cret" not in KafkaSettings(**SASL).model_dump_json()


def test_faust_gets_the_credentials(tmp_path: Path) -> None:
    from streams.app import create_app

    settings = Settings(data_dir=tmp_path, kafka=KafkaSettings(**SASL), kafka_bootstrap="127.0.0.1:9")
    app = create_app(settings, [], app_id="t")
    creds = app.conf.broker_credentials
    assert creds.username == "bunri" and creds.mechanism.value == "SCRAM-SHA-512" and creds.ssl_context
    assert creds.protocol.value == "SASL_SSL"
    assert app.broker_probe._security is settings.kafka  # noqa: SLF001  (readiness probes the same way)


class _Capture:
    seen: list[dict[str, Any]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _Capture.seen.append(kwargs)

    async def start(self) -> None:
        raise OSError("captured")

    async def stop(self) -> None: ...

    async def close(self) -> None: ...


async def test_the_gateway_producer_and_consumer_get_them(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import gateway.bus
    from streams.errors import BrokerUnavailable

    _Capture.seen = []
    monkeypatch.setattr(gateway.bus, "AIOKafkaProducer", _Capture)
    monkeypatch.setattr(gateway.bus, "AIOKafkaConsumer", _Capture)
    bus = gateway.bus.KafkaRequestBus(Settings(data_dir=tmp_path, kafka=KafkaSettings(**SASL),
                                               kafka_bootstrap="127.0.0.1:9"))
    with pytest.raises(BrokerUnavailable):
        await bus.start(timeout=1)
    assert len(_Capture.seen) == 2
    assert all(kw["security_protocol"] == "SASL_SSL" for kw in _Capture.seen)
    assert {kw["sasl_plain_password"] for kw in _Capture.seen} == {SASL["sasl_password"]}


async def test_admin_clients_get_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import streams.broker
    from streams.errors import BrokerUnavailable

    _Capture.seen = []
    monkeypatch.setattr(streams.broker, "AIOKafkaAdminClient", _Capture)
    with pytest.raises(BrokerUnavailable):
        await streams.broker.ensure_topics("127.0.0.1:9", KafkaSettings(**SASL), timeout=0.3)
    assert _Capture.seen and all(kw["security_protocol"] == "SASL_SSL" for kw in _Capture.seen)


async def test_the_readiness_probe_gets_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import streams.health.broker as probe

    _Capture.seen = []

    class Client(_Capture):
        async def bootstrap(self) -> None:
            raise OSError("captured")

    monkeypatch.setattr(probe, "AIOKafkaClient", Client)
    result = await probe.BrokerProbe("127.0.0.1:9", ["q.reply"], security=KafkaSettings(**SASL)).check()
    assert not result.ok and _Capture.seen[0]["security_protocol"] == "SASL_SSL"
