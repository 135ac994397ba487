"""agent-router tools list|search "query"|sync: the catalog of the configured MCP servers."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from ..errors import InputError
from .common import add_config_option, config_or_exit

if TYPE_CHECKING:
    from ..embeddings import Encoders
    from ..tools.gateway import Gateway


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("tools", help="list, search or re-index downstream MCP tools")
    sub = parser.add_subparsers(dest="tools_command", required=True)
    listing = sub.add_parser("list", help="every tool of every configured source")
    listing.add_argument("--server", action="append", help="only this server (repeatable)")
    search = sub.add_parser("search", help="the tools select_tools would pick for QUERY")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--server", action="append", help="only this server (repeatable)")
    search.add_argument("--max-tokens", type=int, help="budget for the definitions")
    sync = sub.add_parser("sync", help="connect, list and embed; report each server")
    sync.add_argument("--server", help="only this server")
    for command in (listing, search, sync):
        command.add_argument("--json", action="store_true", help="print JSON")
        add_config_option(command)
        command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Builds the encoders and the gateway only: no router, memory or safety to load."""
    from ..app import build_gateway, quiet_model_loading
    from ..embeddings import build_encoders

    config = config_or_exit(args.config)
    quiet_model_loading()
    encoders = build_encoders(config.encoders)
    try:
        return asyncio.run(_run(build_gateway(config, encoders), encoders, args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        encoders.close()


async def _run(gateway: Gateway, encoders: Encoders, args: argparse.Namespace) -> int:
    from ..core.tool_selection import ToolRequest, decide_tools

    await gateway.start()
    try:
        if args.tools_command == "sync":
            report = await gateway.sync(args.server)
            print(
                json.dumps(report, indent=2)
                if args.json
                else "\n".join(f"{k}: {v}" for k, v in report.items())
            )
            print(
                f"{len(gateway.index)} tools indexed, {gateway.store.embedded} texts embedded, "
                f"cache {gateway.store.path}",
                file=sys.stderr,
            )
        elif args.tools_command == "list":
            tools = [t for t in gateway.index.tools if not args.server or t.server in args.server]
            if args.json:
                print(json.dumps([t.definition() for t in tools], indent=2))
            for t in tools if not args.json else ():
                flags = (
                    "read-only"
                    if t.hints.read_only
                    else ("destructive" if t.hints.is_destructive else "writes")
                )
                first_line = t.description.splitlines()[0][:80] if t.description else ""
                print(f"{t.key:<40} {flags:<11} {first_line}")
        else:
            picked = await decide_tools(
                gateway,
                encoders.text,
                ToolRequest(args.query),
                k=args.k,
                max_tokens=args.max_tokens,
                servers=args.server,
            )
            if args.json:
                print(json.dumps([{"score": p.score, **p.definition} for p in picked.tools], indent=2))
            for pick in picked.tools if not args.json else ():
                print(
                    f"{pick.score:6.3f}  {pick.server + '/' + pick.name:<40} semantic {pick.semantic:.3f}  "
                    f"lexical {pick.lexical:.3f}  {pick.tokens} tokens"
                )
    finally:
        await gateway.aclose()
    return 0
