"""The deploy package (Dockerfile, deploy/compose.yaml, deploy/haproxy.cfg, deploy/kubernetes)
refers only to what exists: files it copies, CLI flags it passes, ConfigMaps and Secrets it
mounts, ports and labels it selects, and a policy the router accepts. The Kubernetes manifests
are rendered by `kubectl kustomize` as an operator would; the image itself builds only where
Docker runs, which is not here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from processes import CLI

from agent_router.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCS = ROOT / "README.md"  # its "Deploying" section


@cache
def cli_help(*command: str) -> str:
    done = subprocess.run([CLI, *command, "--help"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"agent-router {' '.join(command)} is not a command: {done.stderr}"
    return done.stdout


def assert_cli_accepts(argv: list[str]) -> None:
    """The leading words name a real (sub)command and every --flag is one of its options."""
    words = [a for a in argv if not a.startswith("-")]
    command: list[str] = []
    for word in words:  # the longest prefix of words that is a command path
        subcommands = re.search(r"\{([\w,-]+)\}\s+\.\.\.", cli_help(*command))  # usage: ... {a,b} ...
        if subcommands is None or word not in subcommands.group(1).split(","):
            break
        command.append(word)
    assert command, f"{argv}: no agent-router subcommand"
    options = set(re.findall(r"--[a-z][a-z-]*", cli_help(*command)))
    for flag in (a.split("=", 1)[0] for a in argv if a.startswith("--")):
        assert flag in options, f"agent-router {' '.join(command)} has no {flag}"


def render(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is missing: install kubernetes-client (.ci/run does) to render the manifests")
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """The rendered objects by kind (one of each, but ConfigMaps and Secrets by name)."""
    by_kind: dict[str, Any] = {}
    for doc in render(KUBERNETES):
        if doc["kind"] in ("ConfigMap", "Secret"):
            by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        else:
            assert doc["kind"] not in by_kind, f"two {doc['kind']}s"
            by_kind[doc["kind"]] = doc
    return by_kind


def pod(manifests: dict[str, Any]) -> dict[str, Any]:
    return manifests["Deployment"]["spec"]["template"]


def container(manifests: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod(manifests)["spec"]["containers"]
    return only


def config_path(argv: list[str]) -> str:
    return argv[argv.index("--config") + 1]


def test_the_manifests_hold_what_an_operator_needs(manifests: dict[str, Any]):
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap"} <= set(
        manifests
    )
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == manifests["Deployment"]["metadata"]["name"]
    assert hpa["minReplicas"] >= 2


def test_the_probes_ask_the_health_endpoints(manifests: dict[str, Any]):
    router = container(manifests)
    assert router["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert router["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in router["ports"]}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert router[probe]["httpGet"]["port"] in ports
    assert set(router["resources"]) == {"requests", "limits"}


def test_the_container_runs_a_real_command_unprivileged(manifests: dict[str, Any]):
    router = container(manifests)
    argv = router["args"]
    assert_cli_accepts(argv)
    assert argv[:2] == ["serve", "--http"]
    assert int(argv[argv.index("--port") + 1]) == router["ports"][0]["containerPort"]
    pod_security = pod(manifests)["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0
    security = router["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False


def test_what_the_pod_mounts_and_reads_exists_or_is_documented(manifests: dict[str, Any]):
    spec = pod(manifests)["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    router = container(manifests)
    for mount in router["volumeMounts"]:
        assert mount["name"] in volumes
    config_maps = manifests["ConfigMap"]
    for volume in volumes.values():
        if "configMap" in volume:
            assert volume["configMap"]["name"] in config_maps
    # The policy the server is told to read is a key of the mounted ConfigMap.
    wanted = Path(config_path(router["args"]))
    (policy_mount,) = [m for m in router["volumeMounts"] if Path(m["mountPath"]) == wanted.parent]
    policy_map = config_maps[volumes[policy_mount["name"]]["configMap"]["name"]]
    assert wanted.name in policy_map["data"]
    # Secrets are the operator's: each one referenced is rendered, or its creation is documented.
    rendered = manifests.get("Secret", {})
    docs = DOCS.read_text()
    for env in router["env"]:
        ref = env["valueFrom"]["secretKeyRef"]
        if ref["name"] not in rendered:
            assert f"kubectl create secret generic {ref['name']}" in docs
            assert f"--from-literal={ref['key']}=" in docs


def test_the_policy_in_the_config_map_is_a_valid_config(manifests: dict[str, Any]):
    router = container(manifests)
    data = next(m["data"] for m in manifests["ConfigMap"].values() if "router.yaml" in m.get("data", {}))
    config = parse_config(yaml.safe_load(data[Path(config_path(router["args"])).name]), "ConfigMap")
    assert config.auth.mode == "keys"  # it binds 0.0.0.0, which mode none refuses
    assert config.memory.url is None  # from AGENT_ROUTER_MEMORY_URL, a Secret
    assert "AGENT_ROUTER_MEMORY_URL" in {e["name"] for e in router["env"]}
    # Clients through the Service send its name in Host: a name not allowed gets 421.
    assert f"{manifests['Service']['metadata']['name']}:*" in (config.auth.allowed_hosts or [])


def test_the_service_budget_and_scrape_select_the_pods(manifests: dict[str, Any]):
    labels = pod(manifests)["metadata"]["labels"]
    for kind in ("Service", "PodDisruptionBudget"):
        spec = manifests[kind]["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        assert selector.items() <= labels.items(), kind
    router = container(manifests)
    names = {p["name"] for p in router["ports"]}
    assert all(p["targetPort"] in names for p in manifests["Service"]["spec"]["ports"])
    scrape = pod(manifests)["metadata"]["annotations"]
    assert scrape["prometheus.io/scrape"] == "true" and scrape["prometheus.io/path"] == "/metrics"
    assert int(scrape["prometheus.io/port"]) == router["ports"][0]["containerPort"]


def test_the_servicemonitor_overlay_scrapes_the_service(manifests: dict[str, Any]):
    docs = render(KUBERNETES / "overlays" / "servicemonitor")
    (monitor,) = [d for d in docs if d["kind"] == "ServiceMonitor"]
    service = next(d for d in docs if d["kind"] == "Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    secret = endpoint["authorization"]["credentials"]["name"]  # /metrics asks for a key
    assert f"kubectl create secret generic {secret}" in DOCS.read_text()


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_copies_what_exists_and_runs_the_server_unprivileged():
    instructions = dockerfile_instructions()
    stages = [arg for op, arg in instructions if op == "FROM"]
    assert len(stages) >= 2  # a build stage and a runtime
    base = next(arg.split("=", 1)[1] for op, arg in instructions if op == "ARG" and arg.startswith("BASE="))
    assert re.search(r":\d+\.\d+\.\d+|@sha256:[0-9a-f]{64}", base), f"{base} is not pinned"
    for op, arg in instructions:
        if op == "COPY" and "--from=" not in arg:
            *sources, _ = shlex.split(arg)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    entry = json.loads(next(arg for op, arg in instructions if op == "ENTRYPOINT"))
    argv = json.loads(next(arg for op, arg in instructions if op == "CMD"))
    assert entry == ["agent-router"]
    assert_cli_accepts(argv)
    assert argv[:4] == ["serve", "--http", "--host", "0.0.0.0"]
    health = next(arg for op, arg in instructions if op == "HEALTHCHECK")
    assert f":{argv[argv.index('--port') + 1]}/healthz" in health
    policy = next(arg for op, arg in instructions if op == "COPY" and arg.endswith(config_path(argv)))
    parse_config(yaml.safe_load((ROOT / policy.split()[0]).read_text()), policy)


def test_compose_runs_three_replicas_behind_haproxy_on_postgres():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"router", "postgres", "redis", "haproxy", "keys"} <= set(services)
    router = services["router"]
    assert router["deploy"]["replicas"] == 3
    assert_cli_accepts(router["command"])
    assert router["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    build = router["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{source} is mounted but missing"
    url = router["environment"]["AGENT_ROUTER_MEMORY_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:" in url
    for step in services["keys"]["command"][0].split("&&"):
        argv = shlex.split(step)
        assert argv[0] == "agent-router"
        assert_cli_accepts(argv[1:])
    # The policy the replicas mount is a valid config.
    (policy,) = [v for v in router["volumes"] if v.split(":")[1] == config_path(router["command"])]
    parse_config(yaml.safe_load((DEPLOY / policy.split(":")[0]).read_text()), policy)


def test_haproxy_balances_over_the_ready_replicas():
    cfg = (DEPLOY / "haproxy.cfg").read_text()
    assert "option httpchk GET /readyz" in cfg
    router = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["router"]
    port = router["command"][router["command"].index("--port") + 1]
    assert re.search(rf"server-template router {router['deploy']['replicas']} router:{port}\b", cfg)
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.skip("haproxy is missing: the config's syntax is not checked")
    done = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
