from __future__ import annotations

from collections.abc import Iterator

import pytest
from processes import serve_http, stop


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`agent-router serve --http` as a real subprocess; yields its MCP URL."""
    proc, port = serve_http(tmp_path_factory.mktemp("serve") / "stderr.log")
    yield f"http://127.0.0.1:{port}/mcp"
    stop(proc)
