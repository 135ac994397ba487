"""select_tools and call_tool name the turn they act for, through a real MCP client session:
feedback on a turn reaches the tools of that turn, whenever they were used, and a turn the
session does not have stops a call before it reaches the downstream server."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from builders import user
from mcp import Client
from sqlalchemy.ext.asyncio import AsyncSession

from agent_router.app import App
from agent_router.memory import MemoryStore, ToolOutcome, feedback_outcomes
from agent_router.memory.schema import ToolSelectionRow

OSAKA = "what time is it right now in Osaka"
PARIS = "convert 3pm Tokyo time to Paris time"


def memory_of(app: App) -> MemoryStore:
    assert app.memory is not None
    return app.memory


async def route(client: Client, session: str, turn_id: str, text: str) -> None:
    routed = await client.call_tool(
        "route_turn", {"messages": [user(text)], "session_id": session, "turn_id": turn_id}
    )
    assert not routed.is_error


async def call(client: Client, session: str, name: str, arguments: dict[str, Any], **extra: Any) -> None:
    called = await client.call_tool(
        "call_tool", {"server": "time", "name": name, "arguments": arguments, "session_id": session, **extra}
    )
    assert not called.is_error, called.content


async def selection_turns(app: App, session: str) -> list[str | None]:
    async with AsyncSession(memory_of(app).engine) as db:
        return list(
            (
                await db.scalars(
                    sa.select(ToolSelectionRow.turn_key)
                    .where(ToolSelectionRow.session_id == session)
                    .order_by(ToolSelectionRow.id)
                )
            ).all()
        )


async def test_feedback_on_an_earlier_turn_reaches_that_turns_tools(client: Client, gateway_app: App) -> None:
    """t1's selection and call come after t2 was routed: by time they would be t2's."""
    session = f"s-{uuid.uuid4().hex[:10]}"
    await route(client, session, "t1", OSAKA)
    await route(client, session, "t2", PARIS)
    await client.call_tool("select_tools", {"query": PARIS, "session_id": session})
    await call(
        client,
        session,
        "convert_time",
        {"source_timezone": "Asia/Tokyo", "time": "15:00", "target_timezone": "Europe/Paris"},
    )
    await client.call_tool("select_tools", {"query": OSAKA, "session_id": session, "turn_id": "t1"})
    await call(client, session, "get_current_time", {"timezone": "Asia/Tokyo"}, turn_id="t1")
    assert gateway_app.tools is not None
    outcomes = gateway_app.tools.index.learning().outcomes
    before = {
        k: outcomes[k].count if k in outcomes else 0 for k in ("time/get_current_time", "time/convert_time")
    }

    scored = await client.call_tool(
        "record_feedback", {"session_id": session, "turn_id": "t1", "score": -1.0}
    )
    assert not scored.is_error
    memory = memory_of(gateway_app)
    assert await feedback_outcomes(memory.database, session, "t1") == [
        ToolOutcome(OSAKA, "time", "get_current_time", -1.0)
    ]
    assert outcomes["time/get_current_time"].count == before["time/get_current_time"] + 1
    assert outcomes["time/convert_time"].count == before["time/convert_time"]
    await memory.record_feedback(session, "t2", 1.0)
    assert await feedback_outcomes(memory.database, session, "t2") == [
        ToolOutcome(PARIS, "time", "convert_time", 1.0)
    ]


async def test_an_omitted_turn_id_is_the_sessions_latest_turn(client: Client, gateway_app: App) -> None:
    session = f"s-{uuid.uuid4().hex[:10]}"
    await call(client, session, "get_current_time", {"timezone": "UTC"})  # the session has no turn
    await route(client, session, "t1", OSAKA)
    await route(client, session, "t2", PARIS)
    picked = await client.call_tool("select_tools", {"query": PARIS, "session_id": session})
    assert not picked.is_error
    await call(client, session, "get_current_time", {"timezone": "Europe/Paris"})
    calls = await memory_of(gateway_app).recent_tool_calls(session)
    assert [c.turn_id for c in calls] == [None, "t2"]
    assert await selection_turns(gateway_app, session) == ["t2"]


async def test_a_turn_the_session_lacks_stops_the_call_before_it_is_forwarded(
    client: Client, gateway_app: App, git_repo: Path
) -> None:
    session, branch = f"s-{uuid.uuid4().hex[:10]}", f"turn-{uuid.uuid4().hex[:8]}"
    await route(client, session, "t1", "make a branch for the release notes")
    create = {
        "server": "git",
        "name": "git_create_branch",
        "session_id": session,
        "arguments": {"repo_path": str(git_repo), "branch_name": branch},
    }

    refused = await client.call_tool("call_tool", {**create, "turn_id": "t9"})
    assert refused.is_error
    assert f"turn_id: session '{session}' has no turn 't9'" in refused.content[0].text
    assert not branches(git_repo, branch)  # the git server never saw the call
    picked = await client.call_tool(
        "select_tools", {"query": "create a git branch", "session_id": session, "turn_id": "t9"}
    )
    assert picked.is_error and "turn_id" in picked.content[0].text
    orphan = await client.call_tool("call_tool", {**create, "session_id": None, "turn_id": "t1"})
    assert orphan.is_error and "turn_id: a turn_id needs a session_id" in orphan.content[0].text
    assert not branches(git_repo, branch)
    memory = memory_of(gateway_app)
    assert await memory.recent_tool_calls(session) == []
    assert await selection_turns(gateway_app, session) == []

    made = await client.call_tool("call_tool", {**create, "turn_id": "t1"})
    assert not made.is_error, made.content
    assert branches(git_repo, branch) == [branch]
    assert [c.turn_id for c in await memory.recent_tool_calls(session)] == ["t1"]


def branches(repo: Path, name: str) -> list[str]:
    listed = subprocess.run(
        ["git", "branch", "--list", name, "--format=%(refname:short)"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return listed.stdout.split()
