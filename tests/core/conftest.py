"""Core fixtures: an App with tools (an inline catalog and the demo server, which can be
called), the safety checker and session memory in a SQLite file of its own per test, which a
test may break while the server runs."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from builders import demo_tools

from agent_router.app import App, build_gateway, build_safety
from agent_router.config import parse_config
from agent_router.memory import MemoryStore

INLINE = [
    ("weather", "get_forecast", "Weather forecast for a city and a day."),
    ("files", "read_file", "Read a text file from the workspace."),
]


@pytest_asyncio.fixture(scope="module")
async def tools_app(app: App, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    data = app.config.model_dump(mode="json")
    data["tools"] = demo_tools(INLINE, tmp_path_factory.mktemp("core-vectors"))
    config = parse_config(data)
    gateway = build_gateway(config, app.encoders)
    await gateway.start()
    yield App(config, app.encoders, app.router, tools=gateway, safety=build_safety(config, app.encoders))
    await gateway.aclose()


@pytest_asyncio.fixture
async def with_memory(tools_app: App, tmp_path: Path) -> AsyncIterator[tuple[App, Path]]:
    """The tools App with a fresh SQLite memory, and the database file's path."""
    path = tmp_path / "memory.db"
    config = tools_app.config
    store = await MemoryStore.open(
        config.memory,
        config.models,
        tools_app.encoders.text,
        tools_app.encoders.ocr,
        url=f"sqlite+aiosqlite:///{path}",
    )
    yield dataclasses.replace(tools_app, memory=store), path
    with contextlib.suppress(Exception):  # closing a store whose file a test destroyed may fail
        await store.aclose()
