"""The recorder on its own: memory off, a store that times out or fails, and the memory
operations' required use of it, with real stores."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from builders import destroy_sqlite

from agent_router.app import App
from agent_router.core.caller import Caller
from agent_router.core.memory import get_context
from agent_router.core.recorder import Recorder, required
from agent_router.errors import InputError
from agent_router.memory import MemoryUnavailable


async def test_memory_off_is_said_and_only_counted_when_it_was_configured(app: App) -> None:
    off = dataclasses.replace(app, memory=None, memory_down=None)
    attempt = await Recorder(off).attempt("read", lambda m: m.list_sessions(1))
    assert not attempt.ok and attempt.failure == "memory is off (disabled in the config)"
    down = dataclasses.replace(app, memory=None, memory_down="OperationalError: no such host")
    attempt = await Recorder(down).attempt("read", lambda m: m.list_sessions(1))
    assert attempt.failure == "memory is off (OperationalError: no such host)"
    with pytest.raises(InputError, match="session_id: session memory is off"):
        await get_context(down, Caller(), "s1", "coder")


async def test_a_store_that_does_not_answer_in_time_costs_only_the_record(
    with_memory: tuple[App, Path],
) -> None:
    built, _ = with_memory
    slow = dataclasses.replace(
        built,
        config=built.config.model_copy(
            update={"memory": built.config.memory.model_copy(update={"write_timeout_s": 0.05})}
        ),
    )

    async def stalls(_: object) -> None:
        await asyncio.sleep(1)

    attempt = await Recorder(slow).attempt("stall", stalls)
    assert attempt.failure == "the database did not answer within 0.05s"


async def test_driver_errors_become_memory_unavailable_for_memory_operations(
    with_memory: tuple[App, Path],
) -> None:
    built, path = with_memory
    assert built.memory is not None
    assert (await Recorder(built).attempt("list", lambda m: m.list_sessions(1))).value == []
    destroy_sqlite(path)
    await built.memory.engine.dispose()
    with pytest.raises(MemoryUnavailable, match="could not list: the database failed .*not a database"):
        await required(built, "list", lambda m: m.list_sessions(1))
