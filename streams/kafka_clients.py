"""What every Kafka client gets: aiokafka keyword arguments, faust's credentials, the adaptive fetch wait."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any

from streams.settings_security import KafkaSecurity

__all__ = ["IdleFetchWait", "client_options", "faust_credentials", "ssl_context"]


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


class IdleFetchWait:
    """A consumer's fetch wait: short while records flow, growing while it is idle.

    Tansu 0.6 has no long poll: it answers a fetch by reading the log, then again on a timer until the
    wait is over; a record produced meanwhile is seen at the next read (measured: at most about half
    the wait later — 12 ms at 20, 50 at 100, 245 at 500). Every read costs the broker CPU, so at a
    20 ms wait each idle consumer costs it ~50 fetches a second (the broker was 14 % of a core idle).
    This keeps ``busy_ms`` while records come and for ``idle_after_s`` after the last one, then
    doubles the wait per empty fetch up to ``idle_ms``; the first fetch that brings records drops
    it back. On Kafka, where a fetch returns as soon as a record arrives, a long wait costs nothing.

    A fetch that did not simply find nothing drops the wait back too: one that came back in less than
    half its wait (a connection error), or after which the consumer must reset an offset or refresh
    metadata (a topic gone or recreated, a broker restarted empty). Recovering takes offset and
    metadata requests, which the broker answers on the same connection after the fetch in flight.

    Example:
        IdleFetchWait(20, 1000).install(consumer)  # an AIOKafkaConsumer, after start()
    """

    def __init__(self, busy_ms: int, idle_ms: int, *, idle_after_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.busy_ms, self.idle_ms = busy_ms, max(busy_ms, idle_ms)
        self._idle_after, self._clock = idle_after_s, clock
        self._last_records = clock()
        self.wait_ms = busy_ms

    def after_fetch(self, got_records: bool, *, early: bool = False) -> int:
        """Record one fetch's outcome (``early``: it came back before half its wait); return the next wait."""
        now = self._clock()
        if got_records or early:
            self._last_records, self.wait_ms = now, self.busy_ms
        elif now - self._last_records >= self._idle_after:
            self.wait_ms = min(self.idle_ms, self.wait_ms * 2)
        return self.wait_ms

    def install(self, consumer: Any) -> None:
        """Drive a started AIOKafkaConsumer's fetch wait (aiokafka reads it per request; no public API)."""
        fetcher = consumer._fetcher  # noqa: SLF001
        fetch = fetcher._proc_fetch_request  # noqa: SLF001
        fetcher._fetch_max_wait_ms = self.wait_ms  # noqa: SLF001

        async def proc_fetch_request(assignment: Any, *args: Any, **kwargs: Any) -> Any:
            asked, began = self.wait_ms, self._clock()
            got = await fetch(assignment, *args, **kwargs)  # True when records (or an error) came back
            early = (self._clock() - began) * 1000 < asked / 2 or _recovering(fetcher, assignment)
            fetcher._fetch_max_wait_ms = self.after_fetch(bool(got), early=early)  # noqa: SLF001
            return got

        fetcher._proc_fetch_request = proc_fetch_request  # noqa: SLF001


def _recovering(fetcher: Any, assignment: Any) -> bool:
    """The consumer waits for a metadata refresh or an offset reset (aiokafka internals; False if unknown)."""
    try:
        if fetcher._client._md_update_fut is not None:  # noqa: SLF001
            return True
        states = [assignment.state_value(tp) for tp in assignment.tps]
        return any(state is not None and (state.awaiting_reset or not state.has_valid_position) for state in states)
    except AttributeError:
        return False
