"""A worker's web server: only the probes and /metrics, no faust debug views, `--web-port 0` honoured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from streams.app import web_address
from streams.runtime import running_stages
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration


async def test_only_probes_and_metrics_on_a_free_port(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = make_settings(kafka_bootstrap, tmp_path)
    assert settings.worker.web_host == "127.0.0.1"  # closed unless the chart binds the pod IP
    async with running_stages(settings, ["rag"], web_port=0) as app:
        address = web_address(app)
        assert address is not None and address[1] not in (0, 6066)
        async with httpx.AsyncClient(base_url=f"http://{address[0]}:{address[1]}", timeout=10) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200
            for path in ["/router/", "/table/", "/graph/", "/", "/stats/", "/performance/", "/../etc/passwd",
                         "/healthz/../router/"]:
                resp = await client.get(path)
                assert resp.status_code == 404, path
                assert resp.json() == {"error": {"code": "not_found", "message": "not found"}}
            resp = await client.get("/healthz")
            assert resp.headers.get("server", "bunri") == "bunri"  # no server or Python version


async def test_two_workers_with_web_port_0_both_start(kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = make_settings(kafka_bootstrap, tmp_path)
    async with running_stages(settings, ["rag"], web_port=0) as one, \
            running_stages(settings, ["rag"], web_port=0, app_id="bunri-rag-second") as two:
        first, second = web_address(one), web_address(two)
        assert first and second and first[1] != second[1]
