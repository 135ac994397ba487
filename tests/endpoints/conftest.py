"""The model endpoints under test: a real `agent-router serve --http` process whose models are
served by the OpenAI test double (tests/pools/openai_double.py), itself a separate process.
Memory is a SQLite file the tests read back through the router's own MCP tools."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from pools.doubles import Double, start_double
from processes import free_port, serve_http, stop


@dataclass(frozen=True)
class Router:
    root: str  # http://127.0.0.1:PORT
    double: Double
    log: Path
    config: Path
    memory_url: str

    @property
    def v1(self) -> str:
        return f"{self.root}/v1"

    @property
    def mcp(self) -> str:
        return f"{self.root}/mcp"


def router_config(double: Double) -> dict:
    """small answers by default; `def ` sends a turn to the code route (big first); `down` is
    served by a port nobody listens on; the route `offline` has models no endpoint serves."""
    return {
        "encoders": {"ocr": {"enabled": False}},
        "models": [
            {"name": "small", "modalities": ["text", "image"], "quality": 2},
            {"name": "big", "modalities": ["text", "image"], "quality": 5},
            {"name": "down", "modalities": ["text"]},
            {"name": "nowhere", "modalities": ["text"]},
        ],
        "pools": [
            {
                "name": "p",
                "models": ["small", "big"],
                "endpoints": [{"url": double.url}],
                "retry": {"attempts": 1, "backoff_s": 0.01},
            },
            {
                "name": "gone",
                "models": ["down"],
                "endpoints": [{"url": f"http://127.0.0.1:{free_port()}/v1"}],
                "retry": {"attempts": 1, "backoff_s": 0.01},
                "timeouts": {"connect_s": 2},
            },
        ],
        "routes": [
            {
                "name": "code",
                "description": "writing and fixing code",
                "priority": 10,
                "when": {"keywords": ["def "]},
                "models": ["big", "small"],
            },
            {
                "name": "offline",
                "description": "nothing serves this",
                "priority": 5,
                "when": {"keywords": ["offline-please"]},
                "models": ["nowhere"],
            },
        ],
        "defaults": {"model": "small"},
    }


@pytest.fixture(scope="session")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Router]:
    folder = tmp_path_factory.mktemp("endpoints")
    double = start_double("m")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(router_config(double)))
    log = folder / "stderr.log"
    memory_url = f"sqlite+aiosqlite:///{folder}/memory.db"
    proc, port = serve_http(log, "--config", str(config), "--memory-url", memory_url)
    root = f"http://127.0.0.1:{port}"
    try:
        httpx.get(f"{root}/v1/models", timeout=120).raise_for_status()  # the App is up
        yield Router(root, double, log, config, memory_url)
    finally:
        stop(proc)
        double.stop()


@pytest.fixture
def double(router: Router) -> Double:
    router.double.reset()
    return router.double
