"""Alembic runs inside the caller's connection (see memory/migrate.py), never from an ini file."""

from alembic import context

from agent_router.memory.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
