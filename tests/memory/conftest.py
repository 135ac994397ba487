"""Memory tests run twice: on a SQLite file and on the real PostgreSQL at 127.0.0.1:5432, in a
database created for this test run and dropped after it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from builders import data_url, render_text_image

from agent_router.app import App
from agent_router.config import MemorySpec
from agent_router.memory import MemoryStore

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _pg_admin() -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(PG_ADMIN, timeout=10)
    except (OSError, asyncpg.PostgresError):
        return None


class Databases:
    """Creates empty databases of one backend and removes them at the end of the run."""

    def __init__(self, backend: str, folder: Path):
        self.backend = backend
        self.folder = folder
        self.created: list[str] = []

    async def new(self) -> str:
        name = f"ar_test_{uuid.uuid4().hex[:12]}"
        self.created.append(name)
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.folder / name}.db"
        admin = await _pg_admin()
        assert admin is not None
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return PG_URL.format(name=name)

    async def drop_all(self) -> None:
        if self.backend != "postgresql":
            return
        admin = await _pg_admin()
        if admin is None:
            return
        try:
            for name in self.created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Databases]:
    if request.param == "postgresql":
        admin = await _pg_admin()
        if admin is None:
            pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (.ci/run starts it)")
        await admin.close()
    dbs = Databases(request.param, tmp_path_factory.mktemp(f"memory-{request.param}"))
    yield dbs
    await dbs.drop_all()


StoreFactory = Callable[..., Awaitable[MemoryStore]]


@pytest.fixture(scope="session")
async def open_store(databases: Databases, app: App) -> AsyncIterator[StoreFactory]:
    """Opens stores on fresh databases of the current backend, closing them at the end."""
    opened: list[MemoryStore] = []

    async def factory(url: str | None = None, **spec: object) -> MemoryStore:
        store = await MemoryStore.open(
            MemorySpec(**spec),
            app.config.models,
            app.encoders.text,
            app.encoders.ocr,
            url=url or await databases.new(),
        )
        opened.append(store)
        return store

    yield factory
    for store in opened:
        await store.aclose()


@pytest.fixture(scope="session")
async def store(open_store: StoreFactory) -> MemoryStore:
    """One store per backend, shared: tests keep apart by using their own session ids."""
    return await open_store()


@pytest.fixture
def sid() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def screenshot_url() -> str:
    return data_url(render_text_image(["Invoice 2291 total due 481.20", "File  Edit  View  Help"]))
