"""Dockerfile, compose.yaml, render.yaml and .env.example agree with the Procfile and the settings.

Images cannot be built on this machine (no Docker daemon, no registry), so these files are
checked as data here, compose.yaml also by `docker compose config` where a compose binary
exists, and their commands are run on the host by test_host_entry.py.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess

import pytest
import yaml

from plugins.video.turn.plugin import peerlearn_meta as turn_meta

from .conftest import ROOT, clean_env
from .test_procfile import PROCESS_TYPES, procfile_types

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
RENDER = yaml.safe_load((ROOT / "render.yaml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
ENTRY = "/app/scripts/procfile"


def dockerfile_stages() -> list[list[str]]:
    """Instructions (continuation lines joined), one list per FROM."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def env_example_names() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, flags=re.MULTILINE))


def test_dockerfile_builds_in_two_stages_and_runs_as_a_non_root_user():
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$", DOCKERFILE, flags=re.MULTILINE)
    builder, final = dockerfile_stages()
    assert builder[0] == "FROM ${PYTHON_IMAGE} AS builder" and final[0] == "FROM ${PYTHON_IMAGE}"
    # The final stage builds nothing: it copies the venv and the app (no compiler, no pip work); the
    # only packages it installs are the runtime libraries WeasyPrint needs for PDFs (Pango, a font)
    # and janus-pp-rec (janus-tools), which the worker runs to convert Janus recordings.
    assert not [line for line in final if re.search(r"pip install|gcc|build-essential|-dev\b", line)]
    installed = {
        word
        for command in re.findall(r"apt-get install([^&]*)", " ".join(final))
        for word in command.split()
        if not word.startswith("-")
    }
    assert installed == {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core", "janus-tools"}, installed
    copies = [line for line in final if line.startswith("COPY")]
    assert copies == ["COPY --from=builder /opt/venv /opt/venv", "COPY --from=builder /app /app"]
    assert "USER peerlearn" in final and "useradd --system --uid 10001" in " ".join(final)
    # Static files are collected at build time by the same script the host test runs.
    assert any("deploy/collectstatic" in line for line in builder if line.startswith("RUN"))


def test_dockerfile_honours_port_checks_health_and_starts_through_the_procfile():
    final = dockerfile_stages()[1]
    env = " ".join(line for line in final if line.startswith("ENV"))
    assert "PORT=8000" in env and "DJANGO_SETTINGS_MODULE=peerlearn.settings.production" in env
    assert "PROMETHEUS_MULTIPROC_DIR=" in env
    healthcheck = next(line for line in final if line.startswith("HEALTHCHECK"))
    assert '"/app/deploy/healthcheck.py"' in healthcheck
    assert f'CMD ["{ENTRY}", "web"]' in final
    assert "EXPOSE 8000" in final


def test_every_runtime_dependency_is_pinned_for_the_image():
    """The image installs pyproject's dependencies constrained by requirements.txt: all pinned."""
    import tomllib

    def name(requirement: str) -> str:
        return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {name(line) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    unpinned = {name(requirement) for requirement in runtime} - pins
    assert not unpinned, f"requirements.txt pins none of {sorted(unpinned)}"
    assert {"django-storages", "prometheus-client", "boto3"} <= pins


def test_dockerignore_keeps_everything_the_image_needs():
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()[:1] not in {"", "#"}
    ]
    needed = ["Procfile", "manage.py", "pyproject.toml", "requirements.txt", "scripts/procfile", "deploy/collectstatic"]
    needed += ["deploy/healthcheck.py", "site/settings/production.py", "core/ops/metrics.py", "themes", "plugins"]
    for path in needed:
        assert (ROOT / path).exists(), path
        ignored = [p for p in patterns if not p.startswith("!") and fnmatch.fnmatch(path, p.rstrip("/"))]
        assert not ignored, f"{path} excluded by {ignored}"
    assert ".venv" in patterns and ".env" in patterns and ".git" in patterns


def app_services(services: dict) -> dict[str, str]:
    """Service name -> the Procfile type it runs through scripts/procfile."""
    found = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:1] == [ENTRY]:
            found[name] = command[1]
    return found


def test_compose_runs_every_procfile_type_through_scripts_procfile():
    services = COMPOSE["services"]
    assert app_services(services) == {"release": "release", "web": "web", "worker": "worker", "beat": "beat"}
    assert set(procfile_types()) == PROCESS_TYPES
    assert services["web"]["deploy"]["replicas"] == 2


def test_compose_start_order_and_health_checks():
    services = COMPOSE["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "release": {"condition": "service_completed_successfully"},
        }, name
    assert services["release"]["restart"] == "no"
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
    for name in ("worker", "postgres", "redis", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    # The image's web health check would fail in processes that serve no HTTP.
    assert services["beat"]["healthcheck"] == {"disable": True}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "postgres-data" in COMPOSE["volumes"]


def test_compose_proxy_balances_over_the_web_replicas_and_serves_media():
    proxy = COMPOSE["services"]["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"dynamic a \{\s*name web\s*port \{\$WEB_PORT:8000\}", caddyfile)
    assert "lb_policy round_robin" in caddyfile
    assert "media:/srv/media:ro" in proxy["volumes"] and "media:/app/var/media" in COMPOSE["services"]["web"]["volumes"]


def test_coturn_and_the_turn_plugin_share_one_secret():
    plugin_envs = {field.name: field.env for field in turn_meta.settings}
    assert plugin_envs["turn_secret"] == "TURN_SECRET"
    command = COMPOSE["services"]["coturn"]["command"]
    assert "--use-auth-secret" in command
    assert any(arg.startswith("--static-auth-secret=${TURN_SECRET") for arg in command)
    # The web processes get the same variable from .env.
    assert "TURN_SECRET=" in ENV_EXAMPLE and COMPOSE["services"]["web"]["env_file"] == ".env"
    assert {"STUN_URLS", "TURN_URLS"} <= env_example_names()


def compose_binary() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy and b"v2" in subprocess.run([legacy, "version"], capture_output=True).stdout:
        return [legacy]
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    binary = compose_binary()
    if binary is None:
        pytest.skip("no Docker Compose v2 here (docker compose or docker-compose)")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "deploy", project / "deploy")
    shutil.copy(ROOT / "compose.yaml", project)
    shutil.copy(ROOT / ".env.example", project / ".env")
    result = subprocess.run(
        [*binary, "config", "--quiet"], cwd=project, env=clean_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def render_services() -> dict[str, dict]:
    return {service["name"]: service for service in RENDER["services"]}


def test_render_runs_the_same_image_and_procfile_types():
    services = render_services()
    commands = {name: s["dockerCommand"] for name, s in services.items() if s.get("runtime") == "docker"}
    assert commands == {
        "peerlearn-web": f"{ENTRY} web",
        "peerlearn-worker": f"{ENTRY} worker",
        "peerlearn-beat": f"{ENTRY} beat",
    }
    web = services["peerlearn-web"]
    assert (web["type"], web["healthCheckPath"], web["preDeployCommand"]) == ("web", "/healthz", f"{ENTRY} release")
    assert services["peerlearn-worker"]["type"] == services["peerlearn-beat"]["type"] == "worker"
    assert services["peerlearn-beat"]["numInstances"] == 1
    assert all(s["dockerfilePath"] == "./Dockerfile" for s in services.values() if s.get("runtime") == "docker")


def test_render_wires_connection_strings_and_a_generated_secret_key():
    services = render_services()
    databases = {db["name"] for db in RENDER["databases"]}
    keyvalues = {name for name, s in services.items() if s["type"] == "keyvalue"}
    groups = {group["name"]: group["envVars"] for group in RENDER["envVarGroups"]}
    for name in ("peerlearn-web", "peerlearn-worker", "peerlearn-beat"):
        env = {item.get("key") or item.get("fromGroup"): item for item in services[name]["envVars"]}
        assert env["DATABASE_URL"]["fromDatabase"]["property"] == "connectionString"
        assert env["DATABASE_URL"]["fromDatabase"]["name"] in databases
        assert env["REDIS_URL"]["fromService"] == {
            "type": "keyvalue",
            "name": next(iter(keyvalues)),
            "property": "connectionString",
        }
        assert env["peerlearn"] == {"fromGroup": "peerlearn"}
    shared = {item["key"]: item for item in groups["peerlearn"]}
    assert shared["SECRET_KEY"] == {"key": "SECRET_KEY", "generateValue": True}
    assert shared["ALLOWED_HOSTS"] == {"key": "ALLOWED_HOSTS", "sync": False}
    # Every variable the blueprint sets is documented for a person too.
    keys = set(shared) | {item["key"] for s in services.values() for item in s.get("envVars", []) if "key" in item}
    assert keys <= env_example_names(), keys - env_example_names()


def settings_variables() -> set[str]:
    pattern = re.compile(r"""\benv(?:_bool|_list)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    return {name for path in (ROOT / "site" / "settings").glob("*.py") for name in pattern.findall(path.read_text())}


def plugin_variables() -> set[str]:
    pattern = re.compile(r"""\benv=["']([A-Z][A-Z0-9_]*)["']""")
    return {name for path in (ROOT / "plugins").rglob("plugin.py") for name in pattern.findall(path.read_text())}


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text()))


def procfile_variables() -> set[str]:
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", (ROOT / "Procfile").read_text()))


def test_env_example_lists_every_variable_read():
    read = settings_variables() | plugin_variables() | compose_variables() | procfile_variables()
    read |= {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}
    read |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}  # read by django-storages / boto3 themselves
    assert {"SECRET_KEY", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME", "METRICS_TOKEN", "TURN_SECRET", "PORT"} <= read
    missing = read - env_example_names()
    assert not missing, f".env.example lacks {sorted(missing)}"
