"""The model endpoints under test: a real `agent-router serve --http` process whose models are
served by the OpenAI test double (tests/pools/openai_double.py), itself a separate process.
Memory is a SQLite file the tests read back through the router's own MCP tools."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import yaml
from endpoints.router_process import Router, router_config
from pools.doubles import Double, start_double
from processes import serve_http, stop


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
