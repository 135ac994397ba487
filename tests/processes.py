"""Helpers for tests that start real processes (imported by tests; pytest puts tests/ on the path)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

CLI = str(Path(sys.executable).with_name("agent-router"))
LOOPBACK_NO_AUTH = {"mode": "none"}  # the auth section of a test server that checks no tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_file(path: Path, **sections: Any) -> Path:
    """The built-in config with these sections replaced, written to path for --config."""
    data = yaml.safe_load(resources.files("agent_router").joinpath("default_config.yaml").read_text())
    path.write_text(yaml.safe_dump({**data, **sections}))
    return path


def serve_http(log_file: Path, *extra: str, limit_s: float = 180) -> tuple[subprocess.Popen, int]:
    """`agent-router serve --http` as a real subprocess, its stderr in log_file (a pipe nobody
    reads would fill and stall the server). Returns once the port accepts connections."""
    proc, port = start_http(log_file, *extra)
    wait_for_port(proc, port, log_file, limit_s=limit_s)
    return proc, port


def start_http(log_file: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    """serve_http without waiting: several servers then start at once (wait_for_port each)."""
    port = free_port()
    with open(log_file, "wb") as stderr:
        proc = subprocess.Popen(
            [CLI, "serve", "--http", "--port", str(port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=os.environ.copy(),
        )
    return proc, port


def wait_for_port(proc: subprocess.Popen, port: int, log_file: Path, *, limit_s: float = 180) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_file.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not open its port in {limit_s:g} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)
