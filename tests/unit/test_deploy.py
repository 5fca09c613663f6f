"""deploy/'s files agree with each other and with the code: commands exist, environment names
are settings the code reads, ports and Redis names match. (test_deploy_manifests.py validates the
manifests against the Kubernetes schemas; `make test-deploy` runs the compose stack for real.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from codearena.cli import app
from codearena.service.settings import ServiceSettings
from codearena.settings import SECTIONS, variables

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def env_names() -> set[str]:
    return {name for section in SECTIONS.values() for name, _default, _meaning in variables(section)}


def cli_commands() -> set[str]:
    registered = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    return registered | {g.name for g in app.registered_groups}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return kubernetes_documents()


def kubernetes_documents() -> list[dict]:
    """Every document of every file in deploy/kubernetes, in file order."""
    documents = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def _ours(compose: dict) -> dict:
    return {name: s for name, s in compose["services"].items() if s.get("image") == "codearena:latest"}


def test_compose_runs_every_process_from_our_image(compose):
    ours = _ours(compose)
    assert {name: s["command"] for name, s in ours.items()} == {
        "execution-service": ["codearena", "execution-service"],
        "worker": ["codearena", "worker"],
        "platform": ["codearena", "serve"],
    }
    for service in ours.values():
        assert service["command"][1] in cli_commands()
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert {"redis", "postgres"} <= set(compose["services"])


def test_compose_environment_names_are_settings_the_code_reads(compose):
    known = env_names()
    for name, service in _ours(compose).items():
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name}: {unknown} are read by no settings class"


def test_compose_ports_and_addresses_agree(compose):
    services = compose["services"]
    execution, platform, worker = services["execution-service"], services["platform"], services["worker"]
    service_port = int(execution["environment"]["EXECUTION_SERVICE_PORT"])
    assert service_port == ServiceSettings.model_fields["port"].default == 3001
    assert len(execution["ports"]) == 1 and execution["ports"][0].endswith(f"}}:{service_port}")
    assert platform["environment"]["EXECUTION_QUEUE_URL"] == f"http://execution-service:{service_port}"
    assert len(platform["ports"]) == 1 and platform["ports"][0].endswith(f"}}:{platform['environment']['PORT']}")
    assert execution["environment"]["REDIS_URL"] == worker["environment"]["REDIS_URL"]
    assert execution["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert platform["environment"]["EXECUTION_SERVICE_TOKEN"] == execution["environment"]["EXECUTION_SERVICE_TOKEN"]
    assert platform["environment"]["EXECUTION_MODE"] == "queue"
    for sandboxed in (worker, platform):  # both run the sandbox: SYS_ADMIN, never privileged
        assert "SYS_ADMIN" in sandboxed["cap_add"] and not sandboxed.get("privileged")


def _by_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in manifests if d["kind"] == kind}


def test_kubernetes_deployments_services_and_secrets_agree(manifests):
    deployments = _by_kind(manifests, "Deployment")
    services = _by_kind(manifests, "Service")
    secrets = _by_kind(manifests, "Secret")
    known = env_names()
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(), name
        for container in spec["template"]["spec"]["containers"]:
            if container["image"] != "codearena:latest":
                continue
            assert container["command"][1] in cli_commands()
            for variable in container.get("env", []):
                assert variable["name"] in known, f"{name}: {variable['name']}"
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]]["stringData"]
    for name, service in services.items():
        workloads = deployments | _by_kind(manifests, "StatefulSet")
        target = next(d for d in workloads.values()
                      if service["spec"]["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items())
        container_ports = {key for c in target["spec"]["template"]["spec"]["containers"]
                           for p in c.get("ports", []) for key in (p["containerPort"], p.get("name"))}  # by number or name
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports, name
    execution = deployments["codearena-execution-service"]["spec"]["template"]["spec"]["containers"][0]
    env = {v["name"]: v.get("value") for v in execution["env"]}
    assert execution["ports"][0]["containerPort"] == int(env["EXECUTION_SERVICE_PORT"]) == 3001
    worker = deployments["codearena-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert {v["name"]: v.get("value") for v in worker["env"]}["REDIS_URL"] == env["REDIS_URL"]
    assert "SYS_ADMIN" in worker["securityContext"]["capabilities"]["add"]


def test_dockerfile_installs_the_sandbox_and_exposes_both_ports():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM debian:bookworm", text, re.M)
    for package in ("bubblewrap", "libseccomp-dev", "g++", "default-jdk-headless", "nodejs", "python3"):
        assert package in text
    assert re.search(r"^EXPOSE 5000 3001$", text, re.M)
    assert 'CMD ["codearena", "serve"]' in text
    for copied in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (DEPLOY.parent / copied).exists(), copied
