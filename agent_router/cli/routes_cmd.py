"""agent-router routes fit DATA.jsonl[.gz]: fit a route head for a config from labelled turns."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from .common import add_config_option, config_or_exit


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("routes", help="fit the route head that makes routes compete by probability")
    sub = parser.add_subparsers(dest="routes_command", required=True)
    fit = sub.add_parser(
        "fit",
        help="fit a head from labelled turns (JSON lines with id, route, text) plus the config's exemplars",
    )
    fit.add_argument("data", type=Path, help="labelled turns, .jsonl or .jsonl.gz")
    fit.add_argument(
        "--dev",
        type=Path,
        help="held-out labelled turns for the temperature and confidence floor "
        "(default: a fixed fifth of DATA)",
    )
    fit.add_argument("--out", type=Path, help="where to write the head (default: CONFIG.head.json beside it)")
    fit.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="LABEL=ROUTE",
        help="relabel data labels onto the config's routes; LABEL= drops them (repeatable)",
    )
    fit.add_argument("--min-margin", type=float, default=0.0, help="lead over the runner-up a route needs")
    add_config_option(fit)
    fit.set_defaults(func=fit_routes)


def _mapping(pairs: list[str]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        label, sep, route = pair.partition("=")
        if not sep or not label:
            raise InputError.single("--map", f"{pair!r}: expected LABEL=ROUTE")
        mapping[label] = route or None
    return mapping


def fit_routes(args: argparse.Namespace) -> int:
    from ..app import quiet_model_loading
    from ..embeddings import load_text_encoder, resolve_placement
    from ..routing.fit_policy import fit_policy, read_turns

    config = config_or_exit(args.config)
    out = args.out or (
        Path(args.config).with_suffix(".head.json") if args.config else Path("routes.head.json")
    )
    try:
        train = read_turns(args.data)
        dev = read_turns(args.dev) if args.dev else None
        quiet_model_loading()
        encoder = load_text_encoder(config.encoders.text, resolve_placement(config.encoders.device))
        head, report = fit_policy(
            config,
            train,
            embed=encoder.encode,
            calibration=dev,
            mapping=_mapping(args.map),
            min_margin=args.min_margin,
            info={"data": str(args.data), "calibration": str(args.dev or "a fifth of the data")},
        )
    except (InputError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    digest = head.save(out)
    print(f"wrote {out} (head digest {digest}, fitted for routes digest {head.routes_digest})")
    print(f"routes: {', '.join(head.routes)}; temperature {head.temperature:.3f}")
    print(f"confidence floor {head.min_confidence:.2f}, margin {head.min_margin:.2f}")
    print(f"held-out: {report.accuracy:.1%} of {report.turns} turns, ECE {report.ece:.4f}")
    for route, (n, accuracy) in report.per_route.items():
        print(f"  {route}: {accuracy:.1%} of {n}")
    print(f"use it: set `defaults.head: {out}` in the config (paths are relative to the working directory)")
    return 0
