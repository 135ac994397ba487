"""Sessions of model calls: named by a header, the body, or the conversation itself; recorded
as dispatch_turn records them, read back through the router's MCP tools, and replayed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import httpx
import openai
import pytest
from endpoints.router_process import Router
from mcp import Client
from pools.doubles import Double
from processes import CLI

SYSTEM = {"role": "system", "content": "You are a terse assistant."}


@pytest.fixture
def client(router: Router, double: Double) -> openai.OpenAI:
    return openai.OpenAI(base_url=router.v1, api_key="unused", max_retries=0)


async def stored_messages(router: Router, session_id: str, count: int) -> list[dict]:
    """The session's messages once `count` are stored: an answer is recorded just after it is
    sent, so a reader on another connection may look a moment too early."""
    deadline = time.monotonic() + 60
    async with Client(router.mcp) as mcp:
        while True:
            result = await mcp.call_tool("get_context", {"session_id": session_id, "model": "big"})
            assert not result.is_error, result.content
            messages = result.structured_content["messages"]
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            await asyncio.sleep(0.05)


async def test_a_conversation_without_an_id_keeps_one_session(client: openai.OpenAI, router: Router):
    first = [SYSTEM, {"role": "user", "content": "name a colour, session test alpha"}]
    one = client.chat.completions.with_raw_response.create(model="auto", messages=first)
    answer = one.parse().choices[0].message.content
    second = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "another one"}]
    two = client.chat.completions.with_raw_response.create(model="auto", messages=second)
    session = one.headers["x-agent-router-session"]
    assert session.startswith("conv-") and two.headers["x-agent-router-session"] == session
    other = client.chat.completions.with_raw_response.create(
        model="auto", messages=[SYSTEM, {"role": "user", "content": "a different conversation"}]
    )
    assert other.headers["x-agent-router-session"] != session
    # each message once: the re-sent history is not stored again (answers come back marked as
    # the model's content, after a first line that says so)
    texts = [m["content"].splitlines()[-1] for m in await stored_messages(router, session, 5)]
    assert texts == [
        "You are a terse assistant.",
        "name a colour, session test alpha",
        "m: name a colour, session test alpha",
        "another one",
        "m: another one",
    ]


async def test_the_header_the_metadata_and_the_user_name_a_session(client: openai.OpenAI, router: Router):
    user = [{"role": "user", "content": "hello there"}]
    by_header = client.chat.completions.with_raw_response.create(
        model="auto", messages=user, extra_headers={"x-session-id": "s-header-1"}
    )
    assert by_header.headers["x-agent-router-session"] == "s-header-1"
    by_metadata = client.chat.completions.with_raw_response.create(
        model="auto", messages=user, metadata={"session_id": "s-meta-1"}
    )
    assert by_metadata.headers["x-agent-router-session"] == "s-meta-1"
    by_user = client.chat.completions.with_raw_response.create(model="auto", messages=user, user="alice@corp")
    assert by_user.headers["x-agent-router-session"] == "alice@corp"
    odd_user = client.chat.completions.with_raw_response.create(model="auto", messages=user, user="a b")
    assert odd_user.headers["x-agent-router-session"].startswith("user-")
    stored = await stored_messages(router, "s-header-1", 2)
    assert [m["content"].splitlines()[-1] for m in stored] == ["hello there", "m: hello there"]


def test_a_bad_session_header_is_refused_by_name(router: Router, double: Double):
    response = httpx.post(
        f"{router.v1}/chat/completions",
        json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-session-id": "no spaces allowed"},
        timeout=60,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "x-session-id"


async def test_a_blocked_call_and_its_verdict_are_recorded_and_replay(client: openai.OpenAI, router: Router):
    tool = {
        "type": "function",
        "function": {
            "name": "run_command",
            "description": "Run a shell command",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
    }
    client.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": '[[tool:run_command {"command": "rm -rf /"}]]'}],
        tools=[tool],
        extra_headers={"x-session-id": "s-replay-1"},
    )
    stored = await stored_messages(router, "s-replay-1", 2)
    assert stored[-1]["role"] == "assistant" and "blocked the tool call" in stored[-1]["content"]
    run = subprocess.run(
        [CLI, "replay", "s-replay-1", "--config", str(router.config), "--db", router.memory_url, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["turns_replayed"] == 1 and summary["model_changed"] == 0
    assert summary["verdicts_replayed"] == 1 and summary["verdict_changed"] == 0


async def test_what_dispatch_taught_is_learned_after_the_answer(client: openai.OpenAI, router: Router):
    """Each model call's outcome is stored off the caller's clock, and reaches the route's
    model choice all the same."""

    async def good_outcomes() -> float:
        async with Client(router.mcp) as mcp:
            result = await mcp.call_tool(
                "route_turn", {"messages": [{"role": "user", "content": "def probe(): pass"}]}
            )
        learning = result.structured_content["learning"] or {"observed": {}}
        return sum(good for good, _ in learning["observed"].values())

    before = await good_outcomes()
    for n in range(2):
        client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": f"def learn_{n}(): pass"}]
        )
    deadline = time.monotonic() + 30
    while (after := await good_outcomes()) < before + 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert after == before + 2
