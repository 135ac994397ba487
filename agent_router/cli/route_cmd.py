"""agent-router route "text" --image FILE: one decision, as a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from ..errors import InputError
from .common import add_config_option, config_or_exit

if TYPE_CHECKING:  # routing loads torch; other commands should not wait for it
    from ..routing import RoutingDecision


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("route", help="route one turn and print the decision")
    parser.add_argument("text", help="the user's message")
    parser.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="FILE",
        help="attach an image or screenshot (repeatable)",
    )
    parser.add_argument("--max-cost", type=float, help="most USD per million input tokens")
    parser.add_argument("--max-latency", type=float, help="most typical latency in ms")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Builds the router alone (no tool gateway, safety, memory or pools): a decision without a
    session needs nothing else, and the rest would double the start-up time and memory."""
    from ..app import build_router_app
    from ..core.caller import Caller
    from ..core.routing import route_turn
    from ..core.turn import Turn
    from ..routing import Constraints

    app = build_router_app(config_or_exit(args.config))
    content: list[dict] = [{"type": "text", "text": args.text}]
    content += [{"type": "image_url", "image_url": {"url": path}} for path in args.image]
    constraints = None
    if args.max_cost is not None or args.max_latency is not None:
        constraints = Constraints(max_cost_per_mtok=args.max_cost, max_latency_ms=args.max_latency)
    try:
        turn = Turn.parse([{"role": "user", "content": content}], app.config.limits, Caller())
        decision = asyncio.run(route_turn(app, turn, Caller(), constraints=constraints))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        app.close()
    print(decision.model_dump_json(indent=2) if args.json else render(decision))
    return 0


def render(d: RoutingDecision) -> str:
    s = d.signals
    rows = [
        ("model", d.model),
        ("fallbacks", ", ".join(d.fallbacks) or "-"),
        ("route", d.route or "(default)"),
        ("confidence", f"{d.confidence:.2f}"),
        ("modalities", ", ".join(s.modalities)),
        ("prompt tokens", str(s.prompt_tokens)),
        ("similarity", ", ".join(f"{k} {v:.3f}" for k, v in s.similarity.items()) or "-"),
    ]
    rows += [
        (
            f"image {i}",
            f"{im.width}x{im.height} {im.kind} (by {im.kind_source}), "
            f"{im.screen_text_chars} chars of screen text",
        )
        for i, im in enumerate(s.images)
    ]
    rows += [("rejected", f"{name}: {why}") for name, why in d.rejected.items()]
    rows += [("reason", r) for r in d.reasons]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
