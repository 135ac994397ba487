"""Pieces several commands share."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

from ..config import ConfigError, RouterConfig, load_config
from ..errors import InputError


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", metavar="FILE", help="YAML config (default: built-in)")


def config_or_exit(path: str | None) -> RouterConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        exit_on_config_error(exc)


def exit_on_config_error(exc: ConfigError) -> NoReturn:
    print(f"{exc.source}: configuration is invalid", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)
    raise SystemExit(2) from None


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """--config and --db of a command that works on the memory database."""
    add_config_option(parser)
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: memory.url of the config, else ~/.local/share/agent-router/memory.db)",
    )


def run_on_store(args: argparse.Namespace, action: Callable[..., Awaitable[int]]) -> int:
    """Open the memory database (migrated, without encoders), run `action(store, args)`, close
    it; a database that cannot open, or input it refuses, is one line on stderr."""
    from ..memory import MemoryStore, MemoryUnavailable

    config = config_or_exit(args.config)

    async def main() -> int:
        try:
            store = await MemoryStore.open(config.memory, config.models, url=args.db)
        except Exception as exc:  # noqa: BLE001 - report any driver error the same way
            print(f"error: cannot open the memory database: {exc}", file=sys.stderr)
            return 1
        try:
            return await action(store, args)
        finally:
            await store.aclose()

    try:
        return asyncio.run(main())
    except (InputError, MemoryUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
