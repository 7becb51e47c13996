"""The chart's observability: scrape annotations, the optional ServiceMonitor/PodMonitor, the dashboard, log format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.helm

CHART = Path(__file__).resolve().parents[2] / "helm" / "bunri"
WORKERS = {"preprocess", "gpt5", "rag", "gpt4o", "scheduler"}
COMPONENT = "app.kubernetes.io/component"
MONITORS = ("metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=kps",
            "metrics.dashboard.enabled=true")


def _http_port(deployment: dict[str, Any]) -> int:
    [port] = [p for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"] if p["name"] == "http"]
    return int(port["containerPort"])


def test_every_pod_is_annotated_for_scraping_its_http_port(render: Any) -> None:
    for doc in render.kinds("Deployment"):
        annotations = doc.obj["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", doc.name
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == _http_port(doc.obj), doc.name


def test_scrape_annotations_can_be_turned_off(helm: Any) -> None:
    render = helm.template(sets=("metrics.enabled=false",))
    for doc in render.kinds("Deployment"):
        assert "prometheus.io/scrape" not in doc.obj["spec"]["template"]["metadata"]["annotations"]


def test_logs_are_json_lines_by_default_everywhere(default_render: Any) -> None:
    assert default_render.get("ConfigMap", "bunri-common")["data"]["BUNRI_LOG_FORMAT"] == "json"
    [job] = default_render.kinds("Job")
    env = {e["name"]: e["value"] for e in job.obj["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["BUNRI_LOG_FORMAT"] == "json" and env["BUNRI_LOG_LEVEL"] == "INFO"


def test_monitors_render_only_when_asked(default_render: Any) -> None:
    assert not default_render.kinds("ServiceMonitor") and not default_render.kinds("PodMonitor")
    assert default_render.find("ConfigMap", "bunri-dashboard") is None


def test_service_monitor_selects_the_gateway_service_and_pod_monitor_the_workers(helm: Any) -> None:
    render = helm.template(sets=MONITORS)
    sm = render.get("ServiceMonitor", "bunri-gateway")
    service = render.get("Service", "bunri-gateway")
    assert sm["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert sm["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"] == "http"
    assert sm["spec"]["endpoints"][0]["path"] == "/metrics" and sm["metadata"]["labels"]["release"] == "kps"
    pm = render.get("PodMonitor", "bunri-workers")
    selector = pm["spec"]["selector"]
    [expression] = selector["matchExpressions"]
    selected = set()
    for doc in render.kinds("Deployment"):
        labels = doc.obj["spec"]["template"]["metadata"]["labels"]
        if selector["matchLabels"].items() <= labels.items() and labels[COMPONENT] in expression["values"]:
            selected.add(labels[COMPONENT])
    assert selected == WORKERS
    assert pm["spec"]["podMetricsEndpoints"][0] == {"port": "http", "path": "/metrics", "interval": "30s",
                                                     "scrapeTimeout": "10s"}


def test_dashboard_config_map_carries_the_dashboard_file(helm: Any) -> None:
    cm = helm.template(sets=MONITORS).get("ConfigMap", "bunri-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["bunri.json"]) == json.loads((CHART / "dashboards" / "bunri.json").read_text())


def test_lint_passes_with_monitors_and_typos_fail(helm: Any) -> None:
    ok = helm.lint(sets=MONITORS)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = helm.lint(sets=("metrics.servicemonitor.enabled=true",))
    assert bad.returncode != 0 and "servicemonitor" in bad.stdout + bad.stderr
