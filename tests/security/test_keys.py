"""API keys: 401 without one, a query's result, events and feedback only for the key that created it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.auth.keys import KeyRing, create_key, list_keys, revoke_key

Q = "/v1/queries"


@pytest.fixture
def keyed(harness, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "keys.json"
    _, first = create_key(path, "first")
    _, second = create_key(path, "second")
    h = harness(auth={"enabled": True, "keys_file": path}, limits={"rpm_per_key": 0})
    return h, {"Authorization": f"Bearer {first}"}, {"X-API-Key": second}, path


def _ask(h, headers) -> str:  # type: ignore[no-untyped-def]
    resp = h.client.post(Q, json={"question": "생수병"}, headers=headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["query_id"])


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"X-API-Key": "nope"},
    {"Authorization": "Bearer bunri_00000000_forged"}, {"X-API-Key": "bunri_" + "a" * 300},
    {"Authorization": "Bearer bunri_../../etc/passwd"},
])
def test_no_or_wrong_key_is_401_and_nothing_is_spent(keyed, headers) -> None:  # type: ignore[no-untyped-def]
    h, *_ = keyed
    resp = h.client.post(Q, json={"question": "생수병"}, headers=headers)
    assert resp.status_code in (401, 422)
    h.assert_refused(resp, resp.status_code)
    if resp.status_code == 401:
        assert resp.headers["www-authenticate"].startswith("Bearer")


def test_a_key_reads_its_own_result_and_another_key_gets_403(keyed) -> None:  # type: ignore[no-untyped-def]
    h, mine, theirs, _ = keyed
    qid = _ask(h, mine)
    assert h.client.get(f"{Q}/{qid}", headers=mine).status_code == 200
    for method, path in [("GET", f"{Q}/{qid}"), ("GET", f"{Q}/{qid}/events")]:
        resp = h.client.request(method, path, headers=theirs)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
        assert "생수병" not in resp.text
    resp = h.client.post(f"{Q}/{qid}/feedback", json={"helpful": False}, headers=theirs)
    assert resp.status_code == 403 and [t for t, _, _ in h.bus.published if t == "feedback"] == []
    assert h.client.get(f"{Q}/{qid}").status_code == 401  # and no key at all


def test_the_owner_follows_its_events(keyed) -> None:  # type: ignore[no-untyped-def]
    h, mine, _, _ = keyed
    qid = _ask(h, mine)
    with h.client.stream("GET", f"{Q}/{qid}/events", headers=mine) as resp:
        assert resp.status_code == 200


def test_the_accepted_event_names_the_key_id_never_the_key(keyed) -> None:  # type: ignore[no-untyped-def]
    h, mine, _, path = keyed
    _ask(h, mine)
    [event] = [v for topic, _, v in h.bus.published if topic == "events"]
    first = list_keys(path)[0]
    assert f'"client":"{first.id}"' in event.decode() and mine["Authorization"][7:] not in event.decode()


def test_a_revoked_key_is_refused_without_a_restart(keyed) -> None:  # type: ignore[no-untyped-def]
    h, mine, _, path = keyed
    _ask(h, mine)
    revoke_key(path, list_keys(path)[0].id)
    time.sleep(1.1)  # the ring re-reads the file at most once a second
    resp = h.client.post(Q, json={"question": "a"}, headers=mine)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"
    assert len(h.bus.submitted) == 1


def test_probes_and_the_page_need_no_key(keyed) -> None:  # type: ignore[no-untyped-def]
    h, *_ = keyed
    assert h.client.get("/healthz").status_code == 200
    assert h.client.get("/").status_code == 200


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, text = create_key(path, "x")
    assert text not in path.read_text() and key.sha256 in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    ring = KeyRing(path)
    tampered = text[:-1] + ("B" if text[-1] == "A" else "A")
    assert ring.check(text) == key and ring.check(tampered) is None and ring.check(text + "x") is None
