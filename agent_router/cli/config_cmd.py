"""agent-router config check|show."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import yaml

from ..config import ConfigError, ConfigIssue, RouterConfig, Severity, load_config
from ..config.masking import masked

if TYPE_CHECKING:
    import numpy as np

    Embed = Callable[[list[str]], Sequence[np.ndarray]]


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("config", help="validate or print a configuration")
    sub = parser.add_subparsers(dest="config_command", required=True)
    check = sub.add_parser("check", help="validate FILE and report conflicts between its routes")
    check.add_argument("file", nargs="?", help="YAML config (default: the built-in one)")
    check.add_argument(
        "--no-embed",
        action="store_true",
        help="skip the exemplar-overlap check, which loads the text encoder",
    )
    check.set_defaults(func=check_config)
    show = sub.add_parser("show", help="print the effective configuration as YAML, secrets masked")
    show.add_argument("file", nargs="?")
    show.set_defaults(func=show_config)


def check_config(args: argparse.Namespace) -> int:
    from ..routing.conflicts import find_conflicts

    source = args.file or "<built-in default>"
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"{source}: {issue}", file=sys.stderr)
        return 1
    embed = None
    if not args.no_embed:
        from ..app import quiet_model_loading
        from ..embeddings import load_text_encoder, resolve_placement

        quiet_model_loading()
        spec = config.encoders
        embed = load_text_encoder(spec.text, resolve_placement(spec.device)).encode
    issues = find_conflicts(config, embed) + route_head_issues(config, embed)
    if not args.no_embed:
        issues += image_model_issues(config)
    for issue in issues:
        print(f"{source}: {issue}", file=sys.stderr)
    errors = sum(i.severity is Severity.error for i in issues)
    print(
        f"{source}: {len(config.models)} models, {len(config.routes)} routes; "
        f"{errors} errors, {len(issues) - errors} warnings"
    )
    return 1 if errors else 0


def image_model_issues(config: RouterConfig) -> list[ConfigIssue]:
    """Without CLIP, image kinds come from MobileNetV2: its weights must be installed, and its
    graph is exported into the ONNX cache here, once, beside the text encoder's."""
    if config.encoders.clip is not None:
        return []
    from ..embeddings import MobileNetFeatures

    try:
        MobileNetFeatures(config.encoders.text.onnx_cache).prepare()
    except OSError as exc:
        return [ConfigIssue("encoders", f"image kinds: {exc}")]
    return []


def route_head_issues(config: RouterConfig, embed: Embed | None) -> list[ConfigIssue]:
    """What a route head can learn from the config, and whether the named head fits it."""
    from ..routing.head import load_head
    from ..routing.route_checks import exemplar_issues, head_issues

    issues = list(head_issues(config, load_head(config)))
    if embed is not None:
        issues.extend(exemplar_issues(config, embed))
    return issues


def show_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    shown = masked(config.model_dump(mode="json", exclude_none=True))
    print(yaml.safe_dump(shown, sort_keys=False))
    return 0
