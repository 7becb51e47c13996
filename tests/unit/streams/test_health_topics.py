"""`bunri topics list/check` rows, and the readiness probe against a broker that is not there."""

from __future__ import annotations

import socket

from streams.health import BrokerProbe
from streams.health.compare import compare_topics
from streams.settings import KafkaSettings
from streams.topics import topic_specs


def test_rows_show_missing_and_mismatched_topics_next_to_the_configuration() -> None:
    specs = topic_specs(KafkaSettings())
    broker = {s.name: s.partitions for s in specs}
    broker["q.gpt5"] = 1  # auto-created by a producer with the broker's default
    del broker["q.reply"]
    rows = {r.name: r for r in compare_topics(specs, broker)}
    assert rows["q.gpt5"].status == "MISMATCH" and "partitions=10\tbroker=1" in rows["q.gpt5"].line()
    assert rows["q.reply"].status == "MISSING" and "broker=-" in rows["q.reply"].line()
    assert rows["q.preprocess"].status == "ok"


async def test_probe_is_not_ready_when_nothing_answers() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = await BrokerProbe(f"127.0.0.1:{port}", ["q.reply"], timeout_s=1.0).check()
    assert not result.ok and result.reachable is False and result.error
    assert result.as_dict()["broker"] is False
