"""agent-router db upgrade and sessions list/show/export/import/forget, as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import user
from mcp import Client, StdioServerParameters
from sqlalchemy import select

from agent_router.config import MemorySpec
from agent_router.memory import MemoryStore
from agent_router.memory.schema import TurnRow
from agent_router.turns import parse_messages

CLI = str(Path(sys.executable).parent / "agent-router")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=300)


async def test_upgrade_export_import_round_trip(store: MemoryStore, databases, sid: str) -> None:
    await store.record_turn(
        sid,
        "t1",
        parse_messages([{"role": "user", "content": "héllo"}]),
        {"model": "small-chat", "route": None},
        agent_id="cli-agent",
    )
    await store.record_feedback(sid, "t1", -0.5, comment="too slow")
    source = str(store.engine.url.render_as_string(hide_password=False))
    target = await databases.new()

    upgraded = cli("db", "upgrade", "--db", target)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == "database at revision 0005"

    exported = cli("sessions", "export", "--session", sid, "--db", source)
    assert exported.returncode == 0, exported.stderr
    assert [json.loads(line)["event"] for line in exported.stdout.splitlines()] == [
        "session",
        "turn",
        "feedback",
    ]
    imported = cli("sessions", "import", "--db", target, stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    again = cli("sessions", "export", "--db", target)
    assert again.stdout == exported.stdout

    listed = cli("sessions", "list", "--db", target)
    assert listed.stdout.startswith(f"{sid}\tcli-agent\t1 turns\t1 messages")
    shown = json.loads(cli("sessions", "show", sid, "--db", target).stdout)
    assert shown["turns"][0]["messages"][0]["text"] == "héllo"
    assert cli("sessions", "forget", sid, "--db", target).returncode == 0
    missing = cli("sessions", "show", sid, "--db", target)
    assert missing.returncode == 2
    assert "session_id: no session" in missing.stderr


async def test_serve_records_into_the_database_given_on_the_command_line(databases, sid: str) -> None:
    """A stdio host starts the server with mcp's default environment, so the flag is how a
    test (or a host) points it at a database of its own."""
    if databases.backend != "sqlite":
        pytest.skip("the flag is the same for every backend; one subprocess server is enough")
    url = await databases.new()
    params = StdioServerParameters(command=CLI, args=["serve", "--memory-url", url])
    async with Client(params) as client:
        result = await client.call_tool(
            "route_turn", {"messages": [user("Reverse a string.")], "session_id": sid, "turn_id": "t1"}
        )
    assert not result.is_error, result.content
    assert result.structured_content["memory"] == f"recorded as turn 1 of session {sid!r}"
    store = await MemoryStore.open(MemorySpec(), url=url)
    try:
        async with store.database.read() as db:
            rows = (
                await db.execute(select(TurnRow.seq, TurnRow.turn_key).where(TurnRow.session_id == sid))
            ).all()
    finally:
        await store.aclose()
    assert [tuple(r) for r in rows] == [(1, "t1")]
