"""The endpoints' policies for judged tool calls, on the real Starlette app in process (httpx's
ASGI transport) around an App that shares the session's encoders, its models served by the
test double: a denied call as an error, a call to confirm let through."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import openai
import pytest
import pytest_asyncio
from endpoints.router_process import router_config
from pools.doubles import Double, start_double

from agent_router import endpoints
from agent_router.app import App, build_safety
from agent_router.config import parse_config
from agent_router.pools import Dispatcher
from agent_router.routing import Router
from agent_router.server import RouterServer

SEND_EMAIL = {
    "type": "function",
    "function": {
        "name": "send_email",
        "description": "Send an email to a recipient",
        "parameters": {
            "type": "object",
            "properties": {"to": {"type": "string"}, "body": {"type": "string"}},
        },
    },
}
SHELL = {
    "type": "function",
    "function": {
        "name": "run_command",
        "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
    },
}
EMAIL_CALL = '[[tool:send_email {"to": "bob@example.com", "body": "hello"}]]'


@pytest_asyncio.fixture(scope="module")
async def double() -> AsyncIterator[Double]:
    started = start_double("p")
    yield started
    started.stop()


Connect = Callable[..., Awaitable[openai.AsyncOpenAI]]


@pytest_asyncio.fixture
async def client_with(app: App, double: Double) -> AsyncIterator[Connect]:
    """Gives a client of a router with these endpoints settings; closes what it started."""
    started: list[App] = []

    async def connect(**policy: str) -> openai.AsyncOpenAI:
        data = router_config(double) | {"memory": {"enabled": False}, "endpoints": policy}
        config = parse_config(data)
        built = App(
            config,
            app.encoders,
            Router(config, app.encoders),
            safety=build_safety(config, app.encoders),
            pools=Dispatcher(config),
        )
        await built.start()
        started.append(built)
        server = RouterServer("policies")
        endpoints.register(server, lambda: built)
        transport = httpx.ASGITransport(app=server.streamable_http_app())
        return openai.AsyncOpenAI(
            base_url="http://router.test/v1",
            api_key="unused",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=transport),
        )

    yield connect
    for built in started:
        assert built.pools is not None
        await built.pools.aclose()  # the encoders are the session's: they stay open


async def test_by_default_a_call_to_confirm_is_blocked_with_the_question(client_with: Connect):
    client = await client_with()
    reply = await client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": EMAIL_CALL}], tools=[SEND_EMAIL]
    )
    message = reply.choices[0].message
    assert message.tool_calls is None
    assert "blocked the tool call send_email" in message.content
    assert "needs a person's confirmation" in message.content


async def test_on_confirm_allow_lets_the_call_through(client_with: Connect):
    client = await client_with(on_confirm="allow")
    reply = await client.chat.completions.create(
        model="auto", messages=[{"role": "user", "content": EMAIL_CALL}], tools=[SEND_EMAIL]
    )
    assert reply.choices[0].message.tool_calls[0].function.name == "send_email"


async def test_on_denied_error_refuses_the_answer(client_with: Connect):
    client = await client_with(on_denied="error")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        await client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": '[[tool:run_command {"command": "rm -rf /"}]]'}],
            tools=[SHELL],
        )
    assert caught.value.status_code == 403 and "rm -rf /" in caught.value.message
