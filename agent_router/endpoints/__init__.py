"""Model endpoints that agent frameworks speak, on the HTTP server beside /mcp: a framework
points its base URL at the router and every model call is routed, remembered and guarded."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import App
from ..surface.identity import caller_of_request
from .anthropic_messages import AnthropicMessages
from .failures import UNAUTHENTICATED
from .handler import NOT_STARTED, serve
from .models import model_list
from .openai_chat import OpenAIChat
from .openai_responses import OpenAIResponses


def register(server: MCPServer, running: Callable[[], App | None]) -> None:
    """`running` gives the App the lifespan holds, None before it has started."""
    chat = OpenAIChat()
    messages = AnthropicMessages()
    responses = OpenAIResponses()

    @server.custom_route("/v1/chat/completions", methods=["POST"], include_in_schema=False)
    async def chat_completions(request: Request) -> Response:
        return await serve(request, running, chat)

    @server.custom_route("/v1/responses", methods=["POST"], include_in_schema=False)
    async def openai_responses(request: Request) -> Response:
        return await serve(request, running, responses)

    @server.custom_route("/v1/messages", methods=["POST"], include_in_schema=False)
    async def anthropic_messages(request: Request) -> Response:
        return await serve(request, running, messages)

    @server.custom_route("/v1/models", methods=["GET"], include_in_schema=False)
    async def models(request: Request) -> Response:
        app = running()
        if app is None:
            return chat.error(NOT_STARTED)
        if caller_of_request(request) is None:
            return chat.error(UNAUTHENTICATED)
        return JSONResponse(model_list(app))
