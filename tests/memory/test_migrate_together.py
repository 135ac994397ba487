"""Replicas that start at once migrate once: on PostgreSQL the upgrade runs under an advisory
lock, so concurrent upgrades of an empty database all succeed and leave it at head."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Databases
from sqlalchemy.ext.asyncio import create_async_engine

from agent_router.memory.migrate import current_revision, head_revision, upgrade


async def test_five_replicas_upgrading_at_once_migrate_once(databases: Databases) -> None:
    if databases.backend != "postgresql":
        pytest.skip("SQLite's write lock serialises migrations without an advisory lock")
    url = await databases.new()
    engines = [create_async_engine(url) for _ in range(5)]
    try:
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()
