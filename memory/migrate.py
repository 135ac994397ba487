"""Schema migrations shipped in the package: `agent-router db upgrade` and the server's start
both call upgrade(); no alembic.ini is needed at run time.

alembic is imported when a migration runs, not with the memory package: it costs about a
quarter of a second that importing the server (and every CLI command) would otherwise pay."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock's key for "agent-router migrates": replicas that start together wait
# for the first one's migration, then find the schema at head and do nothing.
MIGRATION_LOCK = 0x61676E74_726F7574 & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate to `revision`. On PostgreSQL under a transaction-scoped advisory lock, so that of
    N replicas starting at once one migrates and the others wait, then read the version table
    and find nothing to do (SQLite's write lock already serialises them)."""
    from alembic import command

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
