"""The test double of a model server (openai_double.py) as subprocesses, and pool configs for
the pool tests (imported by them; pytest puts this folder on the path)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from processes import free_port

from agent_router.config import RouterConfig, parse_config

DOUBLE = str(Path(__file__).with_name("openai_double.py"))
DEFAULTS = {
    "delay_ms": 0,
    "token_delay_ms": 0,
    "fail": 0,
    "fail_status": 500,
    "malformed": False,
    "break_stream": False,
    "hang": False,
    "sleeping": False,
    "wake_ms": 0,
    "logprob": -0.1,
    "require_key": None,
}


def wait_until_up(url: str, proc: subprocess.Popen | None = None, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {limit_s:g}s")


@dataclass
class Double:
    name: str
    port: int
    proc: subprocess.Popen

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def set(self, **settings: Any) -> dict[str, Any]:
        return httpx.post(f"{self.root}/admin", json=settings, timeout=10).json()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.root}/admin", timeout=10).json()

    def reset(self) -> None:
        self.set(**DEFAULTS)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def start_double(name: str, *flags: str, wait: bool = True) -> Double:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, DOUBLE, "--port", str(port), "--name", name, *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    double = Double(name, port, proc)
    if wait:
        wait_until_up(double.root, proc)
    return double


MODELS = [
    {"name": "small", "cost": {"input_per_mtok": 0.1, "output_per_mtok": 0.4}, "quality": 2},
    {"name": "big", "cost": {"input_per_mtok": 3.0, "output_per_mtok": 15.0}, "quality": 5},
    {"name": "sleepy", "cost": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
    {"name": "offline"},
]


def make_config(pools: list[dict[str, Any]], **extra: Any) -> RouterConfig:
    data: dict[str, Any] = {
        "models": MODELS,
        "pools": pools,
        "defaults": {"model": "small"},
        "memory": {"enabled": False},
    }
    data.update(extra)
    return parse_config(data)


def fast_pool(name: str, models: list[str], urls: list[str], **extra: Any) -> dict[str, Any]:
    """Short timeouts and backoff: the tests wait for failures, so they should come quickly."""
    pool = {
        "name": name,
        "models": models,
        "endpoints": [{"url": u} for u in urls],
        "retry": {"attempts": 2, "backoff_s": 0.01},
        "timeouts": {"connect_s": 2, "first_token_s": 10, "total_s": 30},
    }
    pool.update(extra)
    return pool
