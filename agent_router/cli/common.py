"""Pieces several commands share."""

from __future__ import annotations

import argparse
import sys

from ..config import ConfigError, RouterConfig, load_config


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", metavar="FILE", help="YAML config (default: built-in)")


def config_or_exit(path: str | None) -> RouterConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{exc.source}: configuration is invalid", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        raise SystemExit(2) from None
