"""agent-router replay SESSIONS [--config NEW.yaml] [--against BASELINE.yaml]: recorded sessions
re-decided under a config, offline, with a summary table and optional JSONL and HTML reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .common import add_config_option, config_or_exit

if TYPE_CHECKING:  # the App loads torch; --help should not wait for it
    from ..app import App
    from ..config import RouterConfig
    from ..replay.sessions import Loaded


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "replay", help="replay recorded sessions under a config and compare the decisions"
    )
    parser.add_argument(
        "sessions",
        nargs="+",
        metavar="SESSIONS",
        help="export files (JSON Lines, '-' for stdin) or session ids in the memory database",
    )
    add_config_option(parser)
    parser.add_argument(
        "--against", metavar="BASELINE.yaml", help="compare with this config instead of what was recorded"
    )
    parser.add_argument(
        "--db", metavar="URL", help="memory database for session ids (default: memory.url of the config)"
    )
    parser.add_argument("--jsonl", metavar="OUT", help="write the per-decision diff here")
    parser.add_argument("--html", metavar="OUT", help="write a self-contained HTML report here")
    parser.add_argument(
        "--dispatch",
        action="store_true",
        help="also send each turn to the live pools and keep the new answers",
    )
    parser.add_argument(
        "--output-tokens",
        type=int,
        default=256,
        metavar="N",
        help="answer length assumed for cost estimates (default 256)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..app import build_app

    config = config_or_exit(args.config)
    baseline = config_or_exit(args.against) if args.against else None
    app = build_app(config)
    try:
        return asyncio.run(_replay(app, baseline, args))
    finally:
        app.close()


async def _replay(app: App, baseline_config: RouterConfig | None, args: argparse.Namespace) -> int:
    from ..replay import ReplayOptions, build_policy, replay_all, summary_table
    from ..replay.report import render_html, write_jsonl
    from ..replay.sessions import Loaded

    loaded = Loaded([], [])
    ids = []
    for name in args.sessions:
        if name == "-":
            _merge(loaded, _read(sys.stdin, "<stdin>"))
        elif Path(name).is_file():
            with open(name, encoding="utf-8", errors="replace") as handle:
                _merge(loaded, _read(handle, name))
        else:
            ids.append(name)
    if ids:
        db = await _from_database(app.config, ids, args.db)
        if db is None:
            return 1
        _merge(loaded, db)
    if not loaded.sessions:
        for problem in loaded.problems:
            print(f"  ! {problem}", file=sys.stderr)
        print(f"error: no recorded session could be read from {', '.join(args.sessions)}", file=sys.stderr)
        return 2
    dispatcher = app.pools if args.dispatch else None
    if args.dispatch and (dispatcher is None or not dispatcher.serving):
        print(
            "error: --dispatch sends the turns to the model pools, and this config has none: "
            "give it pools (or models[].endpoint)",
            file=sys.stderr,
        )
        return 2
    new = await build_policy("new", app.config, app.encoders, app.config, app.router, None, app.safety)
    old = (
        await build_policy(
            "baseline", baseline_config, app.encoders, app.config, app.router, new.tools, app.safety
        )
        if baseline_config
        else None
    )
    options = ReplayOptions(output_tokens=args.output_tokens)
    if dispatcher is not None:
        await dispatcher.start()
        options.dispatcher = dispatcher
    try:
        result = await replay_all(loaded, new, old, options)
    finally:
        if dispatcher is not None:
            await dispatcher.aclose()
        for policy in (new, old):
            if policy is not None:
                await policy.aclose()
    print(result.summary.model_dump_json(indent=2) if args.json else summary_table(result.summary))
    if args.jsonl:
        n = write_jsonl(result.items, args.jsonl)
        print(f"wrote {n} decisions to {args.jsonl}", file=sys.stderr)
    if args.html:
        Path(args.html).write_text(render_html(result), encoding="utf-8")
        print(f"wrote the report to {args.html}", file=sys.stderr)
    return 0


def _read(handle: TextIO, source: str) -> Loaded:
    from ..replay import read_lines

    return read_lines(handle, source)


def _merge(into: Loaded, more: Loaded) -> None:
    into.sessions += more.sessions
    into.problems += more.problems


async def _from_database(config: RouterConfig, ids: list[str], url: str | None) -> Loaded | None:
    from ..memory import MemoryStore
    from ..replay import from_store

    try:
        store = await MemoryStore.open(config.memory, config.models, url=url)
    except Exception as exc:  # noqa: BLE001 - any driver error reads the same to a person
        print(f"error: cannot open the memory database: {exc}", file=sys.stderr)
        return None
    try:
        return await from_store(store, ids)
    finally:
        await store.aclose()
