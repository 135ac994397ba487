"""With authentication on, the model endpoints answer only a proven identity: the SDK's
middleware is app-wide, so the same bearer token that opens /mcp opens /v1. In process, over
the real Starlette app through httpx's ASGI transport, with the `openai` SDK as the client."""

from __future__ import annotations

import httpx
import openai
import pytest
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from agent_router import endpoints
from agent_router.app import App
from agent_router.server import RouterServer


class Tokens:
    """Accepts the one token 'good', which proves an agent of tenant acme."""

    async def verify_token(self, token: str) -> AccessToken | None:
        if token != "good":
            return None
        return AccessToken(token=token, client_id="c", scopes=[], claims={"tenant": "acme", "role": "agent"})


def transport(app: App) -> httpx.ASGITransport:
    server = RouterServer(
        "auth-test",
        auth=AuthSettings(
            issuer_url="http://127.0.0.1:9",
            resource_server_url="http://127.0.0.1:9/mcp",
            validate_token_resource=False,
        ),
        token_verifier=Tokens(),
    )
    endpoints.register(server, lambda: app)
    return httpx.ASGITransport(app=server.streamable_http_app())


def client_with(app: App, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url="http://router.test/v1",
        api_key=key,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport(app)),
    )


async def test_no_token_gets_401_in_openai_shape(app: App):
    async with httpx.AsyncClient(transport=transport(app), base_url="http://router.test") as client:
        listed = await client.get("/v1/models")
        called = await client.post("/v1/chat/completions", json={"messages": []})
    assert listed.status_code == called.status_code == 401
    assert called.json()["error"]["type"] == "authentication_error"


async def test_a_bad_token_gets_401(app: App):
    with pytest.raises(openai.AuthenticationError) as caught:
        await client_with(app, "bad").models.list()
    assert caught.value.status_code == 401
    with pytest.raises(openai.AuthenticationError):
        await client_with(app, "bad").chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}]
        )


async def test_a_good_token_is_served(app: App):
    listed = await client_with(app, "good").models.list()
    assert "auto" in [m.id for m in listed.data]
