"""The Helm chart (helm/bunri): lint, schema validation and what the rendered manifests say.

Rendered with the real helm (see conftest) for Kubernetes 1.33 and validated with
kubernetes-validate's strict schemas (unknown fields fail). The defaults must reproduce the seed, with
memory set from the measured peaks (docs/performance.md):

  worker-1: preprocess x3 (300m/320Mi), rag x2 (200m/128Mi), scheduler x1 (50m/128Mi) = 1350m / 1344Mi
  worker-2: gpt5 x5 (100m/256Mi), gpt4o x3 (100m/128Mi)                              =  800m / 1664Mi
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

pytestmark = pytest.mark.helm

CHART = Path(__file__).resolve().parents[2] / "helm" / "bunri"
KUBE_VERSION = "1.33.0"
NAMESPACE = "workers"
STAGES = ("preprocess", "gpt5", "rag", "gpt4o")
WORKERS = (*STAGES, "scheduler")

# The seed: node -> its labels, and the expected request totals of the pods pinned to it.
SEED_NODES: dict[str, dict[str, str]] = {
    "worker-1": {"workload": "async-workers", "bunri.io/pool": "worker-1"},
    "worker-2": {"workload": "async-workers", "bunri.io/pool": "worker-2"},
}
# Memory: the seed's 256Mi per pod, re-set from the peaks measured under load (docs/performance.md):
# gpt5 256Mi (the seed's), rag and gpt4o 128Mi, preprocess with its image pool 320Mi.
# Both sums stay inside a t3.medium's ~3.3 GiB allocatable.
SEED_TOTALS = {"worker-1": ("1350m", "1344Mi"), "worker-2": ("800m", "1664Mi")}
# component -> (node, replicas, concurrency, cpu request, memory request)
SEED_COMPONENTS = {
    "preprocess": ("worker-1", 3, 8, "300m", "320Mi"),
    "rag": ("worker-1", 2, 4, "200m", "128Mi"),
    "scheduler": ("worker-1", 1, None, "50m", "128Mi"),
    "gpt5": ("worker-2", 5, 20, "100m", "256Mi"),
    "gpt4o": ("worker-2", 3, 10, "100m", "128Mi"),
}
SEED_PARTITIONS = {"preprocess": 6, "gpt5": 10, "rag": 4, "gpt4o": 6, "reply": 6, "dead_letter": 3}
COMPONENT_LABEL = "app.kubernetes.io/component"

_SUFFIX = {
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}


def quantity(value: str | int | float) -> Decimal:
    """A Kubernetes quantity in base units (cores or bytes)."""
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    assert match, f"not a quantity: {value!r}"
    return Decimal(match.group(1)) * _SUFFIX[match.group(2)]


def component(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["labels"][COMPONENT_LABEL])


def deployments(render: Any) -> dict[str, dict[str, Any]]:
    return {component(d.obj): d.obj for d in render.kinds("Deployment")}


def pod_requests(deployment: dict[str, Any]) -> tuple[Decimal, Decimal]:
    cpu = mem = Decimal(0)
    for c in deployment["spec"]["template"]["spec"]["containers"]:
        cpu += quantity(c["resources"]["requests"]["cpu"])
        mem += quantity(c["resources"]["requests"]["memory"])
    return cpu, mem


def nodes_for(node_selector: dict[str, str]) -> list[str]:
    """The seed nodes whose labels satisfy a nodeSelector."""
    return [n for n, labels in SEED_NODES.items() if node_selector.items() <= labels.items()]


def chart_file(relative: str) -> str:
    return (CHART / relative).read_text()


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


# ---------------------------------------------------------------- lint and schemas


def test_lint_passes(helm: Any, values_file: str) -> None:
    proc = helm.lint(values_file)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_manifest_validates_strictly(render: Any) -> None:
    assert render.docs
    errors = []
    for doc in render.docs:
        try:
            kubernetes_validate.validate(doc.obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{doc.kind}/{doc.name} ({doc.source}): {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{doc.kind}/{doc.name}: {exc.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("sets", "needle"),
    [
        (("stages.gpt5.replicacount=3",), "replicacount"),
        (("gateway.nodeselector.disk=ssd",), "nodeselector"),
        (("kafka.partitons.gpt5=3",), "partitons"),
        (("stages.summarise.replicaCount=1",), "summarise"),
        (("scheduler.concurrency=2",), "concurrency"),
        (("llm.models.gpt5.modle=gpt-5",), "modle"),
    ],
)
def test_typo_in_values_fails_lint(helm: Any, sets: tuple[str, ...], needle: str) -> None:
    proc = helm.lint(sets=sets)
    assert proc.returncode != 0, f"helm lint accepted --set {sets}"
    assert needle in proc.stdout + proc.stderr


def test_typo_in_a_values_file_fails_lint(helm: Any, tmp_path: Any) -> None:
    bad = tmp_path / "typo-values.yaml"
    bad.write_text(yaml.safe_dump({"stages": {"gpt5": {"replicacount": 3}}}))
    proc = helm.lint(str(bad))
    assert proc.returncode != 0
    assert "replicacount" in proc.stdout + proc.stderr


@pytest.mark.parametrize("tag", ["latest"])
def test_latest_tag_is_refused(helm: Any, tag: str) -> None:
    assert helm.lint(sets=(f"image.tag={tag}",)).returncode != 0
    assert helm.template_raw(sets=(f"image.tag={tag}",)).returncode != 0


# ---------------------------------------------------------------- the seed's sizing


@pytest.mark.parametrize("values_file", ["", "ci/production-values.yaml"], indirect=True)
def test_per_node_request_sums_equal_the_seed(render: Any) -> None:
    totals = {node: [Decimal(0), Decimal(0)] for node in SEED_NODES}
    for name, dep in deployments(render).items():
        selector = dep["spec"]["template"]["spec"].get("nodeSelector", {})
        nodes = nodes_for(selector)
        if name == "gateway":
            # Outside the two-node budget: pinned to neither worker node in particular.
            assert not selector, "the gateway has no default nodeSelector"
            continue
        assert len(nodes) == 1, f"{name} selects {selector}, which matches nodes {nodes}"
        cpu, mem = pod_requests(dep)
        totals[nodes[0]][0] += cpu * dep["spec"]["replicas"]
        totals[nodes[0]][1] += mem * dep["spec"]["replicas"]
    for node, (want_cpu, want_mem) in SEED_TOTALS.items():
        got_cpu, got_mem = totals[node]
        assert got_cpu == quantity(want_cpu), f"{node} CPU requests {got_cpu} cores != {want_cpu}"
        assert got_mem == quantity(want_mem), f"{node} memory requests {got_mem} B != {want_mem}"


def test_seed_replicas_concurrency_and_requests(default_render: Any) -> None:
    deps = deployments(default_render)
    assert set(deps) == {*WORKERS, "gateway"}
    for name, (node, replicas, concurrency, cpu, mem) in SEED_COMPONENTS.items():
        dep = deps[name]
        c = container(dep)
        assert dep["spec"]["replicas"] == replicas, name
        assert c["resources"]["requests"] == {"cpu": cpu, "memory": mem}, name
        assert quantity(c["resources"]["limits"]["memory"]) == quantity(mem), (
            f"{name}: memory limit = request"
        )
        assert quantity(c["resources"]["limits"]["cpu"]) >= quantity(cpu), name
        assert dep["spec"]["template"]["spec"]["nodeSelector"] == SEED_NODES[node], name
        if concurrency is None:
            assert c["args"] == ["scheduler"]
        else:
            assert c["args"] == ["worker", "--stage", name, "--concurrency", str(concurrency)]
            config = default_render.get("ConfigMap", f"bunri-{name}")
            assert config["data"]["BUNRI_WORKER__CONCURRENCY"] == str(concurrency)


def test_the_shutdown_drain_ends_before_the_kubelet_kills(helm: Any, default_render: Any) -> None:
    # SIGTERM: the worker drains for BUNRI_WORKER__SHUTDOWN_GRACE_S, then commits; the kubelet's SIGKILL
    # comes at terminationGracePeriodSeconds, so the drain must end first, with room to commit
    for render, gpt5_period in ((default_render, 75), (helm.template(sets=(
            "stages.gpt5.terminationGracePeriodSeconds=120",)), 120)):
        deps = deployments(render)
        for name in STAGES:
            period = deps[name]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            grace = float(render.get("ConfigMap", f"bunri-{name}")["data"]["BUNRI_WORKER__SHUTDOWN_GRACE_S"])
            assert 0 < grace <= period - 5, (name, grace, period)
        assert deps["gpt5"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == gpt5_period


def test_every_container_runs_the_image_entry_point(render: Any) -> None:
    for doc, spec in render.pod_specs():
        if doc.kind != "Pod":  # the helm test runs python; everything else runs `bunri <args>`
            assert "command" not in spec["containers"][0], f"{doc.kind}/{doc.name} overrides the entry point"


def test_gateway_runs_the_gateway_command(default_render: Any) -> None:
    c = container(deployments(default_render)["gateway"])
    assert c["args"] == ["gateway", "--host", "0.0.0.0", "--port", "8000"]  # noqa: S104
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def test_stage_deployments_come_from_one_shared_template(default_render: Any) -> None:
    sources = {component(d.obj): d.source for d in default_render.kinds("Deployment")}
    assert {sources[s] for s in STAGES} == {"bunri/templates/stages.yaml"}
    template = chart_file("templates/stages.yaml")
    assert template.count("kind: Deployment") == 0, "stages.yaml renders via bunri.stageDeployment only"
    assert 'include "bunri.stageDeployment"' in template
    assert "range $name, $stage := .Values.stages" in template
    assert 'include "bunri.stageDeployment"' in chart_file("templates/scheduler.yaml")


def test_default_replicas_do_not_exceed_partitions(render: Any) -> None:
    data = render.get("ConfigMap", "bunri-common")["data"]
    for name, dep in deployments(render).items():
        if name in STAGES:
            partitions = int(data[f"BUNRI_KAFKA__PARTITIONS__{name.upper()}"])
            assert dep["spec"]["replicas"] <= partitions, (
                f"{name}: idle replicas beyond {partitions} partitions"
            )


# ---------------------------------------------------------------- placement


def test_worker_pods_select_their_pool_labels(default_render: Any) -> None:
    deps = deployments(default_render)
    for name in WORKERS:
        selector = deps[name]["spec"]["template"]["spec"]["nodeSelector"]
        assert selector["workload"] == "async-workers", name
        assert selector["bunri.io/pool"] == SEED_COMPONENTS[name][0], name
    assert "nodeSelector" not in deps["gateway"]["spec"]["template"]["spec"]


def test_node_labels_are_renamed_in_one_place(helm: Any) -> None:
    render = helm.template("ci/workers-only-values.yaml")
    deps = deployments(render)
    assert set(deps) == set(WORKERS)
    for name in WORKERS:
        pool = SEED_COMPONENTS[name][0]
        expected = {"node-role.example.com/bunri": {"worker-1": "cpu", "worker-2": "io"}[pool]}
        assert deps[name]["spec"]["template"]["spec"]["nodeSelector"] == expected, name


def test_unknown_node_pool_fails_to_render(helm: Any) -> None:
    proc = helm.template_raw(sets=("stages.rag.nodePool=worker-3",))
    assert proc.returncode != 0
    assert "worker-3" in proc.stderr


# ---------------------------------------------------------------- every Deployment


def test_every_deployment_has_probes_resources_pdb_and_component_selector(render: Any) -> None:
    pdbs = {component(d.obj): d.obj for d in render.kinds("PodDisruptionBudget")}
    for doc in render.kinds("Deployment"):
        dep, name = doc.obj, component(doc.obj)
        selector = dep["spec"]["selector"]["matchLabels"]
        assert selector.get(COMPONENT_LABEL) == name
        assert "helm.sh/chart" not in selector
        assert selector.items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        assert "checksum/config" in dep["spec"]["template"]["metadata"]["annotations"]
        c = container(dep)
        assert {"name": "http"}.items() <= c["ports"][0].items()
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        requests, limits = c["resources"]["requests"], c["resources"]["limits"]
        assert {"cpu", "memory"} <= requests.keys(), name
        assert quantity(limits["memory"]) == quantity(requests["memory"]), name
        if name in pdbs:
            assert pdbs[name]["spec"]["selector"]["matchLabels"] == selector
            assert pdbs[name]["spec"].get("maxUnavailable") == 1
        else:
            # Only ci/local-store-values.yaml turns a PDB off (test_pdb_renders_only_when_enabled).
            assert name == "scheduler", f"{name} has no PodDisruptionBudget"


def test_pdb_renders_only_when_enabled(helm: Any, default_render: Any) -> None:
    assert {component(d.obj) for d in default_render.kinds("PodDisruptionBudget")} == {*WORKERS, "gateway"}
    local = helm.template("ci/local-store-values.yaml")
    assert "scheduler" not in {component(d.obj) for d in local.kinds("PodDisruptionBudget")}


def test_no_selector_contains_the_chart_label(render: Any) -> None:
    for doc in render.docs:
        spec = doc.obj.get("spec", {})
        selectors = [spec.get("selector")]
        if doc.kind in ("Deployment", "PodDisruptionBudget"):
            selectors = [spec["selector"]["matchLabels"]]
        for selector in selectors:
            if isinstance(selector, dict):
                assert "helm.sh/chart" not in selector, f"{doc.kind}/{doc.name}"


def test_every_object_has_standard_labels(render: Any) -> None:
    for doc in render.docs:
        labels = doc.obj["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ):
            assert key in labels, f"{doc.kind}/{doc.name} lacks {key}"


def test_checksum_rolls_only_the_pods_whose_config_changed(helm: Any, default_render: Any) -> None:
    def checksums(render: Any) -> dict[str, str]:
        return {
            n: d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for n, d in deployments(render).items()
        }

    before = checksums(default_render)
    model = checksums(helm.template(sets=("llm.models.gpt5.model=gpt-5-mini",)))
    assert {n for n in before if before[n] != model[n]} == {"gpt5"}
    kafka = checksums(helm.template(sets=("kafka.topicPrefix=staging.",)))
    assert all(before[n] != kafka[n] for n in before)


# ---------------------------------------------------------------- security


def test_pods_run_restricted(render: Any) -> None:
    for doc, spec in render.pod_specs():
        where = f"{doc.kind}/{doc.name}"
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec.get("automountServiceAccountToken") is False, where
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["runAsNonRoot"] is True, where
            assert sc["capabilities"] == {"drop": ["ALL"]}, where
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where


def test_writable_dirs_are_volumes(render: Any) -> None:
    data_dir = render.get("ConfigMap", "bunri-common")["data"]["BUNRI_DATA_DIR"]
    for doc, spec in render.pod_specs():
        if doc.kind == "Pod":
            continue  # the helm test writes nothing
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], doc.name  # noqa: S108 - a container path
        assert "emptyDir" in volumes[mounts[data_dir]], doc.name


def test_images_are_pinned(render: Any) -> None:
    for doc, spec in render.pod_specs():
        for c in spec["containers"]:
            image = c["image"]
            if "@sha256:" in image:
                continue
            repo, _, tag = image.rpartition(":")
            assert repo and "/" not in tag, f"{doc.kind}/{doc.name}: untagged image {image!r}"
            assert tag and tag != "latest", f"{doc.kind}/{doc.name}: image {image!r}"


def _env(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}


def test_secrets_only_by_reference(render: Any) -> None:
    assert not render.kinds("Secret"), "the chart must not render Secret objects"
    for doc in render.kinds("ConfigMap"):
        for key in doc.obj.get("data", {}):
            assert not re.search(r"API_KEY|SECRET|PASSWORD|TOKEN$", key), f"{doc.name} holds {key}"
    for doc, spec in render.pod_specs():
        for c in spec["containers"]:
            for name, entry in _env(c).items():
                if re.search(r"API_KEY|SECRET_ACCESS_KEY|ACCESS_KEY_ID", name):
                    assert "value" not in entry, f"{doc.name}: {name} has a plain value"
                    assert "secretKeyRef" in entry["valueFrom"], f"{doc.name}: {name}"


def test_openai_key_reaches_only_the_model_stages(default_render: Any) -> None:
    for name, dep in deployments(default_render).items():
        env = _env(container(dep))
        if name in ("gpt5", "gpt4o"):
            ref = env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "bunri-openai", "key": "OPENAI_API_KEY"}
        else:
            assert "OPENAI_API_KEY" not in env, name
        s3 = env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]
        assert s3 == {"name": "bunri-s3", "key": "AWS_SECRET_ACCESS_KEY"}


def test_irsa_and_offline_profiles_drop_the_secret_refs(helm: Any) -> None:
    prod = deployments(helm.template("ci/production-values.yaml"))
    assert all("AWS_SECRET_ACCESS_KEY" not in _env(container(d)) for d in prod.values())
    local = deployments(helm.template("ci/local-store-values.yaml"))
    assert all("OPENAI_API_KEY" not in _env(container(d)) for d in local.values())
    for dep in local.values():
        spec = dep["spec"]["template"]["spec"]
        assert {"name": "store", "persistentVolumeClaim": {"claimName": "bunri-shared-data"}} in spec[
            "volumes"
        ]
        assert {"name": "store", "mountPath": "/var/lib/bunri/store"} in spec["containers"][0]["volumeMounts"]


# ---------------------------------------------------------------- topics hook, namespace, helm test


def test_topic_job_is_a_pre_install_and_pre_upgrade_hook(default_render: Any) -> None:
    (job,) = [d.obj for d in default_render.kinds("Job")]
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    assert hooks == {"pre-install", "pre-upgrade"}
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == ["topics", "create"]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["KAFKA_BOOTSTRAP"] == "bunri-kafka-bootstrap.kafka.svc:9092"
    for topic, count in SEED_PARTITIONS.items():
        assert env[f"BUNRI_KAFKA__PARTITIONS__{topic.upper()}"] == str(count)
    # It runs before this release's ServiceAccount exists.
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]


def test_topic_job_and_common_config_agree(render: Any) -> None:
    jobs = render.kinds("Job")
    if not jobs:
        return
    common = render.get("ConfigMap", "bunri-common")["data"]
    env = {e["name"]: e["value"] for e in jobs[0].obj["spec"]["template"]["spec"]["containers"][0]["env"]}
    kafka = {k: v for k, v in common.items() if k.startswith(("BUNRI_KAFKA__", "KAFKA_"))}
    assert kafka.items() <= env.items()


def test_namespace_defaults_to_workers_and_can_follow_the_release(helm: Any, default_render: Any) -> None:
    assert {d.obj["metadata"]["namespace"] for d in default_render.docs} == {NAMESPACE}
    other = helm.template(sets=("namespaceOverride=",), namespace="bunri-dev")
    assert {d.obj["metadata"]["namespace"] for d in other.docs} == {"bunri-dev"}


def test_helm_test_pod_gets_the_gateway_readyz(default_render: Any) -> None:
    (pod,) = [d for d in default_render.kinds("Pod")]
    assert pod.source == "bunri/templates/tests/test-connection.yaml"
    assert pod.obj["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = " ".join(pod.obj["spec"]["containers"][0]["command"])
    assert "http://bunri-gateway:80/readyz" in script


def test_gateway_service_and_ingress(helm: Any, default_render: Any) -> None:
    svc = default_render.get("Service", "bunri-gateway")
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert svc["spec"]["selector"][COMPONENT_LABEL] == "gateway"
    assert not default_render.kinds("Ingress")
    ingress = helm.template("ci/production-values.yaml").get("Ingress", "bunri-gateway")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "bunri-gateway", "port": {"name": "http"}}


def test_chart_api_version_is_v2() -> None:
    chart = yaml.safe_load(chart_file("Chart.yaml"))
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] and chart["appVersion"] != "latest"
