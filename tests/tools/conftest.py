"""A gateway over real downstream MCP servers: mcp-server-time, -git and -fetch over stdio, the
demo server over stdio and over streamable HTTP, and one that speaks no MCP at all."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from mcp import Client

from agent_router.app import App
from agent_router.config import RouterConfig
from agent_router.safety.checker import SafetyChecker
from agent_router.server import build_server
from agent_router.tools.gateway import Gateway

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "demo_server.py"), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, "the demo HTTP server exited at start"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "README.md").write_text("hello\n")
    run("add", "README.md")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first commit")
    return repo


@pytest.fixture(scope="session")
def tools_config(
    config: RouterConfig, http_server: str, git_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> RouterConfig:
    tool_file = tmp_path_factory.mktemp("toolfile") / "weather.json"
    tool_file.write_text(
        '[{"type": "function", "function": {"name": "get_forecast", '
        '"description": "Weather forecast for a city", "parameters": {"type": '
        '"dict", "properties": {"city": {"type": "string"}}}}}]'
    )
    tools = {
        "servers": [
            {
                "name": "time",
                "command": str(BIN / "mcp-server-time"),
                "args": ["--local-timezone", "UTC"],
                "trusted": True,
            },
            {
                "name": "git",
                "command": str(BIN / "mcp-server-git"),
                "args": ["--repository", str(git_repo)],
                "trusted": True,
            },
            {"name": "fetch", "command": str(BIN / "mcp-server-fetch"), "trusted": True},
            {
                "name": "demo",
                "command": sys.executable,
                "args": [str(HERE / "demo_server.py")],
                "trusted": True,
            },
            {"name": "demo-http", "url": http_server, "headers": {"X-Test": "1"}, "trusted": True},
            {
                "name": "garbage",
                "command": sys.executable,
                "args": [
                    "-c",
                    "import time; print('this is not json-rpc', flush=True); time.sleep(600)",
                ],
            },
        ],
        "inline": [
            {
                "name": "send_invoice",
                "server": "billing",
                "description": "Email an invoice to a customer",
                "input_schema": {"type": "object", "properties": {"customer": {"type": "string"}}},
            }
        ],
        "files": [str(tool_file)],
        "cache_dir": str(tmp_path_factory.mktemp("vectors")),
        "connect_timeout_s": 20,
        "call_timeout_s": 3,
        "deny": ["git/git_reset"],
    }
    safety = {
        "agents": {
            "default": {},
            "restricted": {"blocked_servers": ["Demo-HTTP"]},
            "allowlisted": {"allowed_servers": ["Demo"]},
        }
    }
    checked = RouterConfig.model_validate({**config.model_dump(), "tools": tools, "safety": safety})
    return config.model_copy(update={"tools": checked.tools, "safety": checked.safety})


@pytest_asyncio.fixture(scope="session")
async def gateway_app(app: App, tools_config: RouterConfig) -> AsyncIterator[App]:
    """The shared encoders (no second MiniLM) with a gateway over the test servers, the safety
    checker and session memory in a temporary SQLite file."""
    text = app.encoders.text.encoder
    gateway = Gateway(tools_config.tools, text.encode, text.name)
    safety = SafetyChecker(tools_config.safety, app.encoders, tools_config.limits)
    built = App(tools_config, app.encoders, app.router, tools=gateway, safety=safety)
    await gateway.start()
    await built.open_memory()
    assert built.memory is not None, built.memory_down
    yield built
    await built.memory.aclose()
    await gateway.aclose()


@pytest_asyncio.fixture(scope="session")
async def client(gateway_app: App) -> AsyncIterator[Client]:
    """Held open by its own task: the client's cancel scopes must be left in the task that
    entered them, and a session fixture's set-up and tear-down run in different tasks."""
    opened: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
    done = asyncio.Event()

    async def hold() -> None:
        async with Client(build_server(app=gateway_app)) as connected:
            opened.set_result(connected)
            await done.wait()

    task = asyncio.create_task(hold())
    yield await opened
    done.set()
    await task
