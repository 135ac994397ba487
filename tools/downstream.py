"""One downstream MCP server held open by its own task, which reconnects when the server goes away.

The SDK's client contexts must be entered and left in one task, so each server gets a
supervisor task that owns its Client; requests from any task go through the open client.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from ..config.tools import ENV_REFERENCE, HttpServerSpec, StdioServerSpec
from ..errors import RouterError
from .catalog import ToolEntry, ToolHints, json_schema

log = logging.getLogger("agent_router.tools")

_BROKEN = (
    anyio.ClosedResourceError,
    anyio.BrokenResourceError,
    anyio.EndOfStream,
    BrokenPipeError,
    ConnectionError,
    httpx2.TransportError,
)


class DownstreamError(RouterError):
    """A downstream failure, with the server and what kind of failure it was."""

    def __init__(self, server: str, kind: str, detail: str):
        self.server, self.kind, self.detail = server, kind, detail
        super().__init__(f"downstream server {server!r} {kind}: {detail}")


class Downstream:
    def __init__(
        self,
        spec: StdioServerSpec | HttpServerSpec,
        connect_timeout_s: float,
        on_change: Callable[[str], Coroutine[Any, Any, None]],
    ):
        self.spec = spec
        self.name = spec.name
        self.connect_timeout_s = connect_timeout_s
        self.on_change = on_change
        self.last_error: str | None = None
        self.connects = 0
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._attempted = asyncio.Event()  # set after every failed attempt, then replaced
        self._broken = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._scope: anyio.CancelScope | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"mcp:{self.name}")

    async def _open(self, stack: AsyncExitStack) -> Client:
        notify = self._on_message
        if isinstance(self.spec, StdioServerSpec):
            params = StdioServerParameters(
                command=self.spec.command,
                args=self.spec.args,
                env=environment(self.spec),
                cwd=str(self.spec.cwd) if self.spec.cwd else None,
            )
            return Client(params, message_handler=notify)
        http = await stack.enter_async_context(httpx2.AsyncClient(headers=headers(self.spec)))
        return Client(streamable_http_client(self.spec.url, http_client=http), message_handler=notify)

    async def _supervise(self) -> None:
        # anyio cancels level-triggered: unlike one asyncio cancel(), it keeps cancelling until
        # the stdio client's reader and writer tasks have wound down, so closing cannot hang.
        with anyio.CancelScope() as self._scope:
            await self._reconnect_forever()

    async def _reconnect_forever(self) -> None:
        delay = 0.5
        retry = False
        while not self._closing:
            try:
                # The deadline covers connecting only; the scope must enclose the client's own.
                with anyio.CancelScope(deadline=anyio.current_time() + self.connect_timeout_s) as scope:
                    async with AsyncExitStack() as stack:
                        client = await self._open(stack)
                        await stack.enter_async_context(client)
                        scope.deadline = float("inf")
                        self._broken = asyncio.Event()
                        self._client, self.last_error = client, None
                        self.connects += 1
                        self._ready.set()
                        if retry:  # back after a loss or a failed start: list its tools again
                            asyncio.get_running_loop().create_task(self.on_change(self.name))
                        delay = 0.5
                        watcher = asyncio.get_running_loop().create_task(self._listen(client))
                        try:
                            await self._broken.wait()
                        finally:
                            watcher.cancel()
                if scope.cancelled_caught:
                    self.last_error = f"no MCP connection within {self.connect_timeout_s}s"
            except Exception as exc:  # noqa: BLE001 - any failure to connect means: retry later
                if self._client is None:
                    self.last_error = _describe(exc)
                log.warning("downstream %s: %s", self.name, _describe(exc))
            finally:
                self._client = None
                self._ready.clear()
            if self._closing:
                break
            retry = True
            attempted, self._attempted = self._attempted, asyncio.Event()
            attempted.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _listen(self, client: Client) -> None:
        """tools/list_changed on the 2026 protocol; older servers notify via _on_message."""
        try:
            async with client.listen(tools_list_changed=True) as events:
                async for _ in events:
                    await self.on_change(self.name)
        except ListenNotSupportedError:
            return
        except Exception as exc:  # noqa: BLE001 - losing the listen stream is not fatal
            log.debug("downstream %s: listen ended: %s", self.name, _describe(exc))

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification) or (
            isinstance(getattr(message, "root", None), types.ToolListChangedNotification)
        ):
            asyncio.get_running_loop().create_task(self.on_change(self.name))

    async def client(self) -> Client:
        """The open client, waiting for the current connection attempt at most the timeout."""
        if self._client is not None:
            return self._client
        if self._task is None or self._task.done():
            raise DownstreamError(self.name, "is not running", self.last_error or "closed")
        waits = [
            asyncio.ensure_future(self._ready.wait()),
            asyncio.ensure_future(self._attempted.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=self.connect_timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if self._client is None:
            # The supervisor may not have given up yet; what the caller saw is the error so far.
            self.last_error = self.last_error or f"no connection within {self.connect_timeout_s}s"
            raise DownstreamError(self.name, "is unavailable", self.last_error)
        return self._client

    async def list_tools(self) -> list[ToolEntry]:
        client = await self.client()
        tools: list[ToolEntry] = []
        cursor: str | None = None
        try:
            with anyio.fail_after(self.connect_timeout_s):
                while True:
                    page = await client.list_tools(cursor=cursor, cache_mode="refresh")
                    tools += [_entry(self.name, t, trusted=self.spec.trusted) for t in page.tools]
                    cursor = page.next_cursor
                    if not cursor:
                        return tools
        except Exception as exc:
            raise self._failure(exc, "tools/list") from exc

    async def call(self, name: str, arguments: dict[str, Any], timeout_s: float) -> types.CallToolResult:
        client = await self.client()
        try:
            with anyio.fail_after(timeout_s):
                return await client.call_tool(name, arguments)
        except Exception as exc:
            raise self._failure(exc, f"tools/call {name}", timeout_s) from exc

    def _failure(self, exc: Exception, what: str, timeout_s: float | None = None) -> DownstreamError:
        if isinstance(exc, TimeoutError):
            return DownstreamError(
                self.name,
                "timed out",
                f"{what} gave no answer within {timeout_s or self.connect_timeout_s}s",
            )
        if isinstance(exc, ValidationError):
            return DownstreamError(
                self.name,
                "returned garbage",
                f"{what}: the reply is not a valid MCP result ({exc.error_count()} problems)",
            )
        if isinstance(exc, _BROKEN) or (isinstance(exc, MCPError) and exc.code == types.CONNECTION_CLOSED):
            self._broken.set()  # the supervisor reconnects
            return DownstreamError(self.name, "went away", f"{what}: {_describe(exc)}; reconnecting")
        if isinstance(exc, MCPError):
            return DownstreamError(self.name, "returned an error", f"{what}: {exc.error.message}")
        self._broken.set()
        return DownstreamError(self.name, "failed", f"{what}: {_describe(exc)}")

    async def aclose(self) -> None:
        self._closing = True
        self._broken.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except (TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001
                if self._scope is not None:
                    self._scope.cancel()
                await asyncio.wait({self._task}, timeout=10)


# Beside the SDK's own minimal set (get_default_environment): the locale, so servers decode text.
_LOCALE = ("LANG", "LC_ALL", "LC_CTYPE")


def environment(spec: StdioServerSpec) -> dict[str, str]:
    """What a stdio server runs with: the minimal environment, the variables it names in
    env_from, and its own env; never the router's whole environment (model API keys)."""
    missing = [name for name in spec.env_from if name not in os.environ]
    if missing:
        raise _unset(spec.name, "env_from", missing)
    base = get_default_environment() | {k: os.environ[k] for k in _LOCALE if k in os.environ}
    return base | {name: os.environ[name] for name in spec.env_from} | spec.env


def headers(spec: HttpServerSpec) -> dict[str, str]:
    """The headers with each ${NAME} replaced by the router's environment variable NAME."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            missing.append(name)
            return ""
        return os.environ[name]

    resolved = {key: ENV_REFERENCE.sub(value, text) for key, text in spec.headers.items()}
    if missing:
        raise _unset(spec.name, "headers", missing)
    return resolved


def _unset(server: str, field: str, names: list[str]) -> DownstreamError:
    return DownstreamError(
        server,
        "cannot connect",
        f"tools.servers[{server}].{field} names environment variable(s) not set for the router: "
        f"{', '.join(dict.fromkeys(names))}",
    )


def _entry(server: str, tool: types.Tool, *, trusted: bool) -> ToolEntry:
    hints = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else None
    return ToolEntry(
        server,
        tool.name,
        tool.description or "",
        json_schema(dict(tool.input_schema)),
        ToolHints.from_mcp(hints),
        trusted=trusted,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
