"""Idle cost and start-up of the Kafka clients: adaptive fetch wait, session timeout per broker, member slots."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from streams import runtime
from streams.broker import EMBEDDED_CLUSTER_ID
from streams.health.member import MemberSlot
from streams.kafka_clients import IdleFetchWait
from streams.settings import KafkaSettings, Settings
from streams.settings_kafka import EMBEDDED_SESSION_TIMEOUT_MS, KAFKA_SESSION_TIMEOUT_MS


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestIdleFetchWait:
    def test_stays_short_while_records_flow_and_for_a_while_after(self) -> None:
        clock = Clock()
        wait = IdleFetchWait(20, 1000, idle_after_s=1.0, clock=clock)
        for _ in range(5):
            clock.now += 0.3
            assert wait.after_fetch(True) == 20
        clock.now += 0.9  # empty fetches within a second of the last record: still short
        assert wait.after_fetch(False) == 20

    def test_doubles_while_idle_up_to_the_cap_and_drops_back_at_the_first_record(self) -> None:
        clock = Clock()
        wait = IdleFetchWait(20, 1000, idle_after_s=1.0, clock=clock)
        clock.now += 1.0
        assert [wait.after_fetch(False) for _ in range(7)] == [40, 80, 160, 320, 640, 1000, 1000]
        assert wait.after_fetch(True) == 20
        assert wait.after_fetch(False) == 20  # idle again only a second after that record

    def test_an_idle_wait_below_the_busy_one_keeps_the_busy_one(self) -> None:
        clock = Clock()
        wait = IdleFetchWait(20, 20, clock=clock)
        clock.now += 5
        assert wait.after_fetch(False) == 20  # BUNRI_KAFKA__FETCH_IDLE_WAIT_MS=20: the old constant wait

    async def test_install_sets_the_wait_of_each_next_fetch_request(self) -> None:
        clock = Clock()
        # (records?, share of its wait the fetch took): an empty fetch that waited, one with records,
        # and an empty one that came back at once (an error, a broker restart: not idleness)
        outcomes = iter([(False, 1.0), (False, 1.0), (True, 0.1), (False, 1.0), (False, 1.0), (False, 0.1)])

        async def proc_fetch_request(assignment: Any, node_id: int, request: Any) -> bool:
            got, share = next(outcomes)
            clock.now += fetcher._fetch_max_wait_ms / 1000 * share
            return got

        fetcher = SimpleNamespace(_fetch_max_wait_ms=1500, _proc_fetch_request=proc_fetch_request)
        wait = IdleFetchWait(20, 1000, idle_after_s=0.0, clock=clock)
        wait.install(SimpleNamespace(_fetcher=fetcher))
        assert fetcher._fetch_max_wait_ms == 20  # faust's hard-coded 1500 replaced at once
        seen = []
        for _ in range(6):
            got = await fetcher._proc_fetch_request(None, 0, None)
            seen.append((got, fetcher._fetch_max_wait_ms))
        assert seen == [(False, 40), (False, 80), (True, 20), (False, 40), (False, 80), (False, 20)]


class TestSessionTimeout:
    def test_unset_means_kafkas_minimum_or_the_embedded_brokers_shorter_one(self) -> None:
        kafka = KafkaSettings()
        assert kafka.session_ms() == KAFKA_SESSION_TIMEOUT_MS == 6000
        assert kafka.session_ms(embedded=True) == EMBEDDED_SESSION_TIMEOUT_MS < 6000

    def test_a_configured_one_stands_everywhere(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BUNRI_KAFKA__SESSION_TIMEOUT_MS", "10000")
        kafka = Settings().kafka
        assert kafka.session_ms() == kafka.session_ms(embedded=True) == 10000

    @pytest.mark.parametrize(("reported", "expected"), [(EMBEDDED_CLUSTER_ID, EMBEDDED_SESSION_TIMEOUT_MS),
                                                        ("kafka-prod-1", KAFKA_SESSION_TIMEOUT_MS),
                                                        (None, KAFKA_SESSION_TIMEOUT_MS)])
    async def test_a_worker_resolves_it_from_the_cluster_id(self, monkeypatch: pytest.MonkeyPatch,
                                                            reported: str | None, expected: int) -> None:
        async def cluster_id(bootstrap: str, **_: Any) -> str | None:
            return reported

        monkeypatch.setattr(runtime, "cluster_id", cluster_id)
        settings = Settings().with_bootstrap("127.0.0.1:9")
        resolved = await runtime._group_timings(settings)
        assert resolved.kafka.session_timeout_ms == expected

    async def test_a_configured_one_is_not_looked_up(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def cluster_id(bootstrap: str, **_: Any) -> str | None:
            raise AssertionError("no lookup when the session timeout is configured")

        monkeypatch.setattr(runtime, "cluster_id", cluster_id)
        kafka = KafkaSettings(session_timeout_ms=7000)
        settings = Settings().model_copy(update={"kafka": kafka}).with_bootstrap("127.0.0.1:9")
        assert (await runtime._group_timings(settings)).kafka.session_timeout_ms == 7000


class TestMemberSlot:
    def test_a_live_workers_slot_is_never_shared_and_a_dead_ones_id_is_taken_over(self, tmp_path: Path) -> None:
        first, second = MemberSlot(tmp_path, "t1.bunri-rag"), MemberSlot(tmp_path, "t1.bunri-rag")
        assert first.claim() is None and second.claim() is None  # fresh: nothing recorded yet
        assert first.path != second.path  # the first slot is locked by a live holder
        first.record("member-a")
        second.record("member-b")
        first.release()  # as when its process dies (kill -9 releases the lock too)
        again = MemberSlot(tmp_path, "t1.bunri-rag")
        assert again.claim() == "member-a" and again.path == first.path
        assert MemberSlot(tmp_path, "t1.bunri-gpt5").claim() is None  # another group: its own slots

    def test_an_unusable_directory_means_joining_as_a_new_member(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        slot = MemberSlot(blocker / "members", "g")
        assert slot.claim() is None
        slot.record("member-a")  # nothing to write to, and no error
