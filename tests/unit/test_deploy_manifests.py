"""deploy/: the Kubernetes manifests validated offline against the Kubernetes schemas
(kubernetes-validate), and checked for what a cluster needs: every address names a Service that
exists with that port, images are pulled if not present, probes exist, no container is
privileged, KEDA watches the streams the queue really uses by their length. The compose file: what docker-compose 1.29 accepts, and no `privileged`.
(`make test-deploy` runs the compose stack for real.)"""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
import yaml

from codearena.service.keys import Keys
from codearena.service.settings import QueueSettings

from .test_deploy import DEPLOY, kubernetes_documents

KUBERNETES_VERSION = "1.30.0"  # the oldest with appArmorProfile in the security context
SANDBOX_CAPABILITIES = {"SYS_ADMIN", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "KILL"}
ADDRESS = re.compile(r"^(?:[a-z]+://)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)")


DOCUMENTS = kubernetes_documents()
CORE = [doc for doc in DOCUMENTS if not doc["apiVersion"].startswith("keda.sh/")]


def _name(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def _containers(doc: dict) -> list[dict]:
    return doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def _services() -> dict[tuple[str, str], set[int]]:
    return {(doc["metadata"]["name"], doc["metadata"]["namespace"]): {p["port"] for p in doc["spec"]["ports"]}
            for doc in DOCUMENTS if doc["kind"] == "Service"}


@pytest.mark.parametrize("doc", CORE, ids=_name)
def test_each_manifest_is_valid_for_kubernetes(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)  # raises with the offending field


def test_everything_lives_in_the_codearena_namespace():
    assert {doc["metadata"].get("namespace") for doc in DOCUMENTS if doc["kind"] != "Namespace"} == {"codearena"}


@pytest.mark.parametrize("doc", [d for d in CORE if _containers(d)], ids=_name)
def test_containers_are_pulled_if_not_present_probed_and_never_privileged(doc):
    for container in _containers(doc):
        assert container["imagePullPolicy"] == "IfNotPresent"
        assert "livenessProbe" in container and "readinessProbe" in container
        security = container.get("securityContext", {})
        assert not security.get("privileged")
        added = set(security.get("capabilities", {}).get("add", []))
        assert added <= SANDBOX_CAPABILITIES, added - SANDBOX_CAPABILITIES
        if added:
            assert security["capabilities"]["drop"] == ["ALL"]


def test_every_address_names_a_service_that_exists_with_that_port():
    services = _services()
    addresses = [env["value"] for doc in CORE for c in _containers(doc) for env in c.get("env", []) if "value" in env]
    addresses += [t["metadata"]["address"] for doc in DOCUMENTS if doc["kind"] == "ScaledObject" for t in doc["spec"]["triggers"]]
    checked = 0
    for value in addresses:
        if match := ADDRESS.match(value):
            name, namespace, port = match.groups()
            assert int(port) in services.get((name, namespace), set()), value
            checked += 1
    assert checked >= 5


def test_keda_scales_the_workers_on_the_queues_real_streams_by_their_length():
    scaled = next(doc for doc in DOCUMENTS if doc["kind"] == "ScaledObject")
    deployments = {doc["metadata"]["name"] for doc in DOCUMENTS if doc["kind"] == "Deployment"}
    assert scaled["spec"]["scaleTargetRef"]["name"] in deployments
    assert scaled["spec"]["minReplicaCount"] >= 1  # no live worker: the service refuses jobs
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["stream"] for t in triggers} == set(Keys(QueueSettings().queue_prefix).streams)
    for trigger in triggers:
        # with a consumerGroup KEDA would count pending entries (or lag) instead of XLEN
        assert trigger["type"] == "redis-streams" and "consumerGroup" not in trigger["metadata"]
        assert int(trigger["metadata"]["streamLength"]) >= 1


def test_the_workers_cpu_limit_sets_their_slots():
    worker = next(doc for doc in DOCUMENTS if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "codearena-worker")
    resources = _containers(worker)[0]["resources"]
    assert resources["limits"]["cpu"] == resources["requests"]["cpu"]
    assert "WORKER_CONCURRENCY" not in {env["name"] for env in _containers(worker)[0]["env"]}


def test_the_compose_file_is_what_docker_compose_1_29_accepts_and_never_privileged():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert "name" not in compose and "version" not in compose
    for name, service in compose["services"].items():
        assert not service.get("privileged"), name
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name
        if "cap_add" in service:
            assert service["cap_drop"] == ["ALL"] and set(service["cap_add"]) <= SANDBOX_CAPABILITIES
