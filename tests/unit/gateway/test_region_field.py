"""The gateway's ``region`` field (JSON and form): resolved to a 시·군·구 at the door, never kept as typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from streams.settings import Settings
from streams.store import LocalStore
from tests.unit.gateway.test_routes import FakeBus


@pytest.fixture
def make_client(tmp_path: Path):  # type: ignore[no-untyped-def]
    def factory(bus: FakeBus) -> TestClient:
        return TestClient(create_app(Settings(data_dir=tmp_path), bus=bus, store=LocalStore(tmp_path)))

    return factory


def test_json_region_is_resolved(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        resp = client.post("/v1/queries", json={"question": "페트병 언제 내요?", "region": "서울 강남구 역삼동 12"})
    assert resp.status_code == 200
    sent = bus.submitted[0]
    assert sent.region is not None and (sent.region.code, sent.region.given) == ("11680", "request")
    assert "역삼" not in sent.model_dump_json()  # nothing finer than the 시·군·구 enters the pipeline


def test_form_region_and_a_numeric_code(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        assert client.post("/v1/queries", data={"question": "우유팩", "region": "수원시 영통구"}).status_code == 200
        assert client.post("/v1/queries", json={"question": "우유팩", "region": 11440}).status_code == 200
    assert [q.region.code for q in bus.submitted] == ["41117", "11440"]  # type: ignore[union-attr]


def test_an_ambiguous_region_is_sent_on_to_be_asked(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        assert client.post("/v1/queries", json={"question": "우유팩", "region": "중구"}).status_code == 200
    sent = bus.submitted[0]
    assert sent.region is None and len(sent.region_choices) == 5


def test_an_unknown_region_is_a_422_that_does_not_echo_it(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        resp = client.post("/v1/queries", json={"question": "우유팩", "region": "역삼동 123-45"})
        wrong_type = client.post("/v1/queries", json={"question": "우유팩", "region": ["강남구"]})
        other_key = client.post("/v1/queries", json={"question": "우유팩", "address": "역삼동"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_input"
    assert "역삼" not in resp.text and bus.submitted == []
    assert wrong_type.status_code == 422 and other_key.status_code == 422


def test_no_region_is_no_region(make_client) -> None:  # type: ignore[no-untyped-def]
    bus = FakeBus()
    with make_client(bus) as client:
        client.post("/v1/queries", json={"question": "우유팩", "region": ""})
        client.post("/v1/queries", json={"question": "우유팩"})
    assert [(q.region, q.region_choices) for q in bus.submitted] == [(None, []), (None, [])]


def test_the_openapi_body_documents_region(make_client) -> None:  # type: ignore[no-untyped-def]
    with make_client(FakeBus()) as client:
        body = client.get("/openapi.json").json()["paths"]["/v1/queries"]["post"]["requestBody"]["content"]
    assert "region" in body["application/json"]["schema"]["properties"]
    assert "region" in body["multipart/form-data"]["schema"]["properties"]
