"""The router the endpoint tests talk to, and its config (imported by them as
endpoints.router_process; pytest puts tests/ on the path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pools.doubles import Double
from processes import free_port


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
        served by a port nobody listens on; the route `offline` has models no endpoint serves. A
    request with more than 3 tools gets the 3 that fit. No authentication (loopback)."""
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
        "endpoints": {"max_tools": 3},
        # Loopback without keys: authentication of these routes is tests/endpoints/test_endpoint_auth.py's.
        "auth": {"mode": "none"},
    }
