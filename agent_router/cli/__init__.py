"""The agent-router command line: one module per command group, each adding its parsers."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..collector import paused_for_start_up
from . import (
    check_cmd,
    config_cmd,
    keys_cmd,
    memory_cmd,
    pools_cmd,
    replay_cmd,
    route_cmd,
    routes_cmd,
    serve_cmd,
    tools_cmd,
)

GROUPS = (
    serve_cmd,
    route_cmd,
    routes_cmd,
    config_cmd,
    memory_cmd,
    keys_cmd,
    tools_cmd,
    pools_cmd,
    replay_cmd,
    check_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-router", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Imports and the App's build allocate only what the process keeps; `serve` resumes the
    # collector once its App is built, a one-shot command runs with it paused.
    with paused_for_start_up():
        return int(args.func(args) or 0)
