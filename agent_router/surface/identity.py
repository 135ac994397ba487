"""Who is calling, from the transport: the one place a tool learns its Caller.

In process and on stdio the caller is the machine's own user, owner of the local tenant. Over
HTTP the caller is the identity the bearer token proved (its claims name tenant, role and
agent); with authentication turned off, which the server allows on loopback only, it is an
operator of the local tenant: it may pick an agent's policy, but neither names files on the
server nor replays under a whole config, since any local process or a page the user's browser
opens can reach a loopback port."""

from __future__ import annotations

from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context
from starlette.requests import Request

from ..auth import AGENT_CLAIM, ROLE_CLAIM, TENANT_CLAIM
from ..core.caller import LOCAL_TENANT, Caller, Role

# The machine's own user (in process, stdio), and a caller over HTTP with authentication off.
OWNER = Caller()
LOOPBACK = Caller(LOCAL_TENANT, None, Role.operator, local=False)


def caller_of(ctx: Context[Any, Any], agent_id: str | None = None) -> Caller:
    """The caller of this request, acting as `agent_id` where its role allows it."""
    return _identity(ctx).acting_as(agent_id)


def caller_of_request(request: Request) -> Caller | None:
    """The caller of a plain HTTP route (the model endpoints), by the same rules; None when the
    server authenticates and this request proved no identity. The SDK's authentication
    middleware is app-wide: where it runs it sets scope["user"], authenticated or not."""
    token = get_access_token()
    if token is not None:
        return _of_token(token)
    return None if "user" in request.scope else LOOPBACK


def _identity(ctx: Context[Any, Any]) -> Caller:
    token = get_access_token()
    if token is None:
        return OWNER if ctx.request_context.request is None else LOOPBACK
    return _of_token(token)


def _of_token(token: AccessToken) -> Caller:
    claims = token.claims or {}
    return Caller(
        str(claims.get(TENANT_CLAIM, LOCAL_TENANT)),
        claims.get(AGENT_CLAIM),
        Role(claims.get(ROLE_CLAIM, Role.agent)),
        local=False,
    )
