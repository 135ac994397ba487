"""A downstream MCP server for the gateway tests, over stdio or (with --http PORT) streamable HTTP.

Its tools return text, images and structured content, and misbehave on request: crash the
process, or hang past any timeout.
"""

from __future__ import annotations

import argparse
import io
import os

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.types import ToolAnnotations
from PIL import Image as PILImage
from pydantic import BaseModel, Field

server = MCPServer("demo")


class Sum(BaseModel):
    total: float
    count: int


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def echo(text: str, times: int = Field(1, ge=1, le=5)) -> str:
    """Repeat the text back, for checking that calls pass through unchanged."""
    return " ".join([text] * times)


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def add_numbers(numbers: list[float]) -> Sum:
    """Add a list of numbers and count them."""
    return Sum(total=sum(numbers), count=len(numbers))


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def red_square(size: int = 8) -> Image:
    """Draw a red square image of the given size in pixels."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (size, size), "red").save(buffer, format="PNG")
    return Image(data=buffer.getvalue(), format="png")


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def delete_records(table: str) -> str:
    """Delete every record of a table permanently."""
    return f"deleted all records of {table}"


@server.tool()
def crash() -> str:
    """Exit the server process at once, as a crashing server does."""
    os._exit(3)


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
async def hang(seconds: float = 3600) -> str:
    """Answer nothing for a long time, as a hung server does."""
    await anyio.sleep(seconds)
    return "woke up"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def pid() -> str:
    """The server's process id, so tests can tell a restarted server from the first one."""
    return str(os.getpid())


def greet_visitor(name: str) -> str:
    """Greet a visitor by name."""
    return f"hello {name}"


@server.tool(annotations=ToolAnnotations(destructive_hint=False))
async def add_greeter(ctx: Context) -> str:
    """Add the greet_visitor tool and tell clients that the tool list changed."""
    server.add_tool(greet_visitor, annotations=ToolAnnotations(read_only_hint=True))
    await ctx.notify_tools_changed()
    return "added"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, metavar="PORT")
    args = parser.parse_args()
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run()
