"""The connection options every Kafka client gets: aiokafka keyword arguments and faust's credentials."""

from __future__ import annotations

import ssl
from typing import Any

from streams.settings_security import KafkaSecurity

__all__ = ["client_options", "faust_credentials", "ssl_context"]


def ssl_context(kafka: KafkaSecurity) -> ssl.SSLContext | None:
    """A verifying TLS context for SSL and SASL_SSL (CA file, or the system's trust store); None otherwise."""
    if not kafka.security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=str(kafka.ssl_ca_file) if kafka.ssl_ca_file else None)
    if kafka.ssl_cert_file and kafka.ssl_key_file:
        context.load_cert_chain(str(kafka.ssl_cert_file), str(kafka.ssl_key_file))
    return context


def _password(kafka: KafkaSecurity) -> str | None:
    if kafka.sasl_password_file is not None:  # a mounted Secret: read when connecting, so a rotation applies
        return kafka.sasl_password_file.read_text(encoding="utf-8").strip()
    return kafka.sasl_password.get_secret_value() if kafka.sasl_password else None


def client_options(kafka: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient and AIOKafkaClient."""
    if kafka.security_protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    if (context := ssl_context(kafka)) is not None:
        options["ssl_context"] = context
    if kafka.security_protocol.startswith("SASL_"):
        options.update(sasl_mechanism=kafka.sasl_mechanism, sasl_plain_username=kafka.sasl_username,
                       sasl_plain_password=_password(kafka))
    return options


def faust_credentials(kafka: KafkaSecurity) -> Any:
    """faust's ``broker_credentials`` for the same connection; None for PLAINTEXT."""
    if kafka.security_protocol == "PLAINTEXT":
        return None
    import faust  # only the workers import faust

    context = ssl_context(kafka)
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(username=kafka.sasl_username, password=_password(kafka),
                                 mechanism=kafka.sasl_mechanism, ssl_context=context)
