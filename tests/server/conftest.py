from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from processes import CLI, free_port


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """`agent-router serve --http` as a real subprocess; yields its MCP URL."""
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--http", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("server did not open its port in 120 s")
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(timeout=30)
