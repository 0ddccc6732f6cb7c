"""The hosting files say what the README promises: a CPU-torch Docker image that runs serve.py, an nginx
config with websocket upgrade and sticky routing, and deployment requirements on PyTorch's CPU index that
stay in step with requirements.txt (which CI installs from the local wheel, with no extra index)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _requirements(name: str) -> tuple[list[str], dict[str, Requirement]]:
    """(pip option lines, requirements by name) of a requirements file."""
    options, reqs = [], {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-"):
            options.append(line)
        elif line:
            req = Requirement(line)
            reqs[req.name] = req
    return options, reqs


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", dockerfile)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _block(conf: str, head: str) -> str:
    """The text between the braces of the block that starts with `head` (nested braces allowed)."""
    start = conf.index(head)
    i = conf.index("{", start) + 1
    depth = 1
    for j in range(i, len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[j], 0)
        if depth == 0:
            return conf[i:j]
    raise AssertionError(f"unbalanced block {head!r}")


# ---------------------------------------------------------------- requirements

def test_deploy_requirements_pin_cpu_torch_from_the_cpu_index():
    options, reqs = _requirements("requirements-deploy.txt")
    assert f"--extra-index-url {CPU_INDEX}" in options
    torch = reqs["torch"]
    (spec,) = torch.specifier
    assert spec.operator == "==" and spec.version.endswith("+cpu"), torch


def test_deploy_requirements_match_requirements_txt():
    """Same packages and the same torch release, so the hosted app runs what CI tested."""
    _, deploy = _requirements("requirements-deploy.txt")
    ci_options, ci = _requirements("requirements.txt")
    assert set(deploy) == set(ci)
    for name in ci:
        if name != "torch":
            assert str(deploy[name].specifier) == str(ci[name].specifier), name
    (cpu,) = deploy["torch"].specifier
    assert ci["torch"].specifier.contains(cpu.version), (ci["torch"], cpu.version)  # ==2.13.0 accepts 2.13.0+cpu
    assert not any("index-url" in o for o in ci_options), "CI installs torch from the local wheel, no extra index"


# ---------------------------------------------------------------- Dockerfile

def test_dockerfile_installs_cpu_torch_and_runs_the_app():
    steps = _instructions((ROOT / "Dockerfile").read_text())
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arg for word, arg in steps if word == "RUN")
    assert "pip install -r requirements-deploy.txt" in runs or CPU_INDEX in runs
    assert ("COPY", "requirements-deploy.txt .") in steps
    assert ("EXPOSE", "8501") in steps
    health = [arg for word, arg in steps if word == "HEALTHCHECK"]
    assert health and "/_stcore/health" in health[0] and "8501" in health[0]
    (cmd,) = [json.loads(arg) for word, arg in steps if word == "CMD"]
    assert cmd[:3] == ["streamlit", "run", "serve.py"]
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--server.port") + 1] == "8501"


def test_dockerignore_keeps_the_repo_history_and_caches_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".git" in ignored and "**/__pycache__" in ignored


# ---------------------------------------------------------------- nginx

def test_nginx_config_upgrades_the_websocket_with_long_timeouts():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    stream = _block(conf, "location /_stcore/stream")
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert re.search(r"map \$http_upgrade \$connection_upgrade\s*{[^}]*default\s+upgrade;", conf)
    # a location with its own proxy_set_header inherits none: Host must be passed here too, or
    # Streamlit's same-origin check on the websocket fails behind the proxy
    assert "proxy_set_header Host $http_host;" in stream
    timeout = re.search(r"proxy_read_timeout (\d+)s;", stream)
    assert timeout and int(timeout.group(1)) >= 3600
    assert "proxy_http_version 1.1;" in conf


def test_nginx_config_routes_each_browser_to_one_replica_by_a_cookie():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = _block(conf, "upstream aeviz")
    servers = re.findall(r"^\s*server (\S+);", upstream, flags=re.M)
    assert len(servers) >= 2
    assert "ip_hash" not in upstream  # a classroom behind one NAT (or loopback) would all land on one replica
    key = re.search(r"hash \$(\w+) consistent;", upstream)
    assert key, upstream
    route = _block(conf, f"map $cookie_aeviz_route ${key.group(1)}")
    assert "$request_id" in route  # a new browser gets a random route...
    assert re.search(r"add_header Set-Cookie \$\w+ always;", conf)  # ...and keeps it in a cookie
    assert "aeviz_route=" in conf


def test_nginx_accepts_the_config():
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    prefix = Path(__import__("tempfile").mkdtemp(prefix="aeviz-nginx-"))
    (prefix / "logs").mkdir()
    (prefix / "tmp").mkdir()
    shutil.copy(ROOT / "deploy" / "nginx.conf", prefix / "nginx.conf")
    res = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", "nginx.conf", "-e", "stderr"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    shutil.rmtree(prefix, ignore_errors=True)


def test_run_proxy_script_is_valid_bash():
    script = ROOT / "deploy" / "run_proxy.sh"
    assert script.stat().st_mode & 0o111, "run_proxy.sh must be executable"
    res = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
