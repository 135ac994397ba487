"""agent-router pools status, and agent-router chat "..." [--image FILE]: one turn answered
through the pools, streamed to the terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .common import add_config_option, config_or_exit


def add_parsers(commands: argparse._SubParsersAction) -> None:
    pools = commands.add_parser("pools", help="model endpoints and their state")
    sub = pools.add_subparsers(dest="pools_command", required=True)
    status = sub.add_parser("status", help="probe every endpoint once and print its state")
    status.add_argument("--json", action="store_true")
    add_config_option(status)
    status.set_defaults(func=run_status)

    chat = commands.add_parser("chat", help="route one turn, send it to a model, print the answer")
    chat.add_argument("text", help="the user's message")
    chat.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="FILE",
        help="attach an image or screenshot (repeatable)",
    )
    chat.add_argument("--model", help="force this model instead of routing")
    chat.add_argument("--budget-ms", type=float, help="latency budget: wake cold models within it")
    chat.add_argument("--session", help="session id: the turn is recorded in memory")
    chat.add_argument("--json", action="store_true", help="print the whole result as JSON")
    add_config_option(chat)
    chat.set_defaults(func=run_chat)


def run_status(args: argparse.Namespace) -> int:
    from ..pools import Dispatcher

    async def probe() -> list:
        dispatcher = Dispatcher(config_or_exit(args.config))
        await dispatcher.start()
        try:
            return dispatcher.status()
        finally:
            await dispatcher.aclose()

    rows = asyncio.run(probe())
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return 0
    if not rows:
        print("no endpoints configured: models route but cannot be dispatched (add pools[].endpoints)")
        return 0
    header = (
        "endpoint",
        "state",
        "models",
        "breaker",
        "in flight",
        "queue",
        "kv cache",
        "cold start",
        "reason",
    )
    table = [header] + [
        (
            r.name,
            r.state,
            ",".join(r.models),
            r.breaker,
            str(r.in_flight),
            _num(r.queue_depth),
            _num(r.kv_cache_usage),
            f"{r.cold_start_s:.2f}s" if r.cold_start_s is not None else "-",
            r.reason,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def run_chat(args: argparse.Namespace) -> int:
    """Goes through the dispatch_turn tool in process, so the CLI answers exactly as MCP does."""
    import mcp_types as types
    from mcp import Client

    from ..app import build_app
    from ..server import build_server

    app = build_app(config_or_exit(args.config))
    content: list[dict] = [{"type": "text", "text": args.text}]
    content += [{"type": "image_url", "image_url": {"url": path}} for path in args.image]
    arguments = {
        "messages": [{"role": "user", "content": content}],
        "stream": not args.json,
        "model": args.model,
        "latency_budget_ms": args.budget_ms,
        "session_id": args.session,
    }

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message:
            sys.stdout.write(message)
            sys.stdout.flush()

    async def chat() -> int:
        await app.start()
        try:
            async with Client(build_server(app=app)) as client:
                result = await client.call_tool(
                    "dispatch_turn",
                    {k: v for k, v in arguments.items() if v is not None},
                    progress_callback=on_progress,
                )
        finally:
            await app.aclose()
        if result.is_error:
            text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
            print(f"error: {text}", file=sys.stderr)
            return 2
        out = result.structured_content
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print()
            print(
                f"[{out['model']} at {out['endpoint']}: first token {out['ttft_ms']:.0f} ms, "
                f"total {out['total_ms']:.0f} ms]",
                file=sys.stderr,
            )
        return 0

    return asyncio.run(chat())
