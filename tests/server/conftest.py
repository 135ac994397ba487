from __future__ import annotations

from collections.abc import Iterator

import pytest
from processes import LOOPBACK_NO_AUTH, config_file, serve_http, stop


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`agent-router serve --http` as a real subprocess on loopback without authentication
    (tests/security/ covers it); yields its MCP URL."""
    folder = tmp_path_factory.mktemp("serve")
    config = config_file(folder / "config.yaml", auth=LOOPBACK_NO_AUTH)
    proc, port = serve_http(folder / "stderr.log", "--config", str(config))
    yield f"http://127.0.0.1:{port}/mcp"
    stop(proc)
