"""agent-router serve: stdio by default, streamable HTTP with --http."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from ..config import ConfigError
from .common import add_config_option, config_or_exit, exit_on_config_error


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the MCP server")
    add_config_option(parser)
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind with --http (default 127.0.0.1); off loopback the config's "
        "auth.mode must be keys or jwt",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--stateless",
        action="store_true",
        help="with --http, answer clients of the older handshake without a session too, so "
        "that any replica answers any request with no sticky routing (they then cannot be "
        "asked anything mid-call); clients of the 2026-07-28 protocol are always stateless",
    )
    parser.add_argument(
        "--drain-seconds",
        type=int,
        default=30,
        help="with --http, on SIGTERM: stop accepting, give requests in flight this long to "
        "finish, then write what memory holds and exit 0 (default 30)",
    )
    parser.add_argument(
        "--memory-url",
        "--db",
        metavar="URL",
        dest="memory_url",
        help="session memory database, overriding memory.url of the config "
        "(a stdio host passes only a default environment, so this is the way "
        "to point a spawned server at a database)",
    )
    parser.add_argument(
        "--log-format",
        choices=("json", "text"),
        help="stderr log lines: one JSON object each (with session_id and "
        "turn_id), or text; default json with --http, text on stdio",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="level of the agent_router loggers; info "
        "logs every tool call with its outcome and time (default warning)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..auth import check_bind, transport_security, url_host
    from ..observability import configure_logging
    from ..server import build_server

    level = "debug" if args.verbose else args.log_level
    configure_logging(
        args.log_format or ("json" if args.http else "text"), logging.getLevelName(level.upper())
    )
    config = config_or_exit(args.config)
    if args.memory_url:
        config = config.model_copy(
            update={"memory": config.memory.model_copy(update={"url": args.memory_url})}
        )
    if not args.http:
        build_server(config).run("stdio")
        return 0
    try:
        check_bind(config.auth, args.host)
        security = transport_security(config.auth, args.host)
        server = build_server(config, http_url=f"http://{url_host(args.host)}:{args.port}/mcp")
    except ConfigError as exc:
        exit_on_config_error(exc)
    serve_until_drained(
        server.streamable_http_app(
            stateless_http=args.stateless, transport_security=security, host=args.host
        ),
        host=args.host,
        port=args.port,
        drain_s=args.drain_seconds,
    )
    return 0


KEEP_ALIVE_S = 65


def serve_until_drained(app: Any, *, host: str, port: int, drain_s: int) -> None:
    """uvicorn as MCPServer.run would start it, with a bounded drain: on SIGTERM or SIGINT it
    closes the listening socket (the load balancer's next attempt goes elsewhere), lets the
    requests in flight finish for up to `drain_s` seconds, then runs the lifespan's end, which
    flushes memory's pending writes and closes the database. Exits 0 after a drain on SIGTERM
    (uvicorn would raise the signal again once done, and the process would end by it).

    Its drain has no bound of its own; a stream a client holds open (an older client's GET)
    would keep it waiting, so `drain_s` bounds it."""
    import signal
    from types import FrameType

    import uvicorn

    class Draining(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            if sig == signal.SIGTERM:
                self._captured_signals.remove(sig)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=drain_s,
        # Longer than a load balancer keeps an idle connection to a server (HAProxy purges
        # them within 5 s, uvicorn's default): else both close one at the same moment and a
        # request sent on it meets a closed socket.
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    Draining(config).run()
