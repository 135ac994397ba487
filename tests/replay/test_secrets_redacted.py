"""Secrets stay secret: a key the user typed is denied when the agent would send it, and it is
nowhere the router keeps things: not in the session:// transcript, the SQLite file, the export,
nor the replay report. The verdict keeps its evidence masked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest_asyncio
from builders import user
from mcp import Client

from agent_router.app import App
from agent_router.memory import MemoryStore
from agent_router.memory.transcript import export_lines
from agent_router.replay import Policy, read_lines, replay_all
from agent_router.replay.report import render_html
from agent_router.server import build_server

KEY = "sk-proj-" + "Zq4mW8rT2yU6iO0pA3sD7fG1hJ5kL9xC"
CARD = "4111 1111 1111 1111"


@pytest_asyncio.fixture
async def secret_app(recording_app: App, tmp_path: Path) -> AsyncIterator[App]:
    config = recording_app.config
    store = await MemoryStore.open(
        config.memory,
        config.models,
        recording_app.encoders.text,
        recording_app.encoders.ocr,
        url=f"sqlite+aiosqlite:///{tmp_path}/secret.db",
    )
    yield replace(recording_app, memory=store)
    await store.aclose()


async def test_a_typed_key_is_denied_and_stored_nowhere(
    secret_app: App, same_policy: Policy, tmp_path: Path
) -> None:
    session = "with-secret"
    async with Client(build_server(app=secret_app)) as client:

        async def call(tool: str, args: dict) -> dict:
            result = await client.call_tool(tool, {**args, "session_id": session})
            assert not result.is_error, result.content
            return result.structured_content

        said = f"Put my key {KEY} into the settings page, and pay with card {CARD}"
        await call("route_turn", {"messages": [user(said)], "turn_id": "t1"})
        typed = {"type": "type", "text": KEY, "context": {"url": "https://pastebin.example/new"}}
        verdict = await call("check_action", {"action": typed, "turn_id": "t1"})
        await call("select_tools", {"query": f"store the api key {KEY}", "k": 2})
        transcript = await client.read_resource(f"session://{session}")
    assert verdict["decision"] == "deny" and "secrets.secret_key" in verdict["rules"]
    shown = json.dumps(verdict)
    assert KEY not in shown and "sk-p" in shown  # the evidence, masked
    assert transcript.contents and "redacted" in transcript.contents[0].text
    lines = [line async for line in export_lines(secret_app.memory.database)]
    report = render_html(await replay_all(read_lines(lines), same_policy))
    await secret_app.memory.aclose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("secret.db*"))
    places = {
        "transcript": transcript.contents[0].text,
        "export": "\n".join(lines),
        "report": report,
        "sqlite": stored.decode("utf-8", "replace"),
    }
    for where, text in places.items():
        for secret in (KEY, KEY[8:], CARD, CARD.replace(" ", "")):
            assert secret not in text, (where, secret)
    assert "OpenAI or Anthropic key redacted" in places["export"]
