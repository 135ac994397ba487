"""agent-router check action|observation: one safety verdict, as the MCP tools give it, with no
server or session: to try a policy (its rules and profiles) on an action before deploying it,
or to scan a file for planted instructions before an agent reads it. The exit status carries
the decision, so a script or a hook can act on it without parsing the JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..trust import Integrity
from .common import add_config_option, config_or_exit

if TYPE_CHECKING:  # the checker's modules load the encoders; `--help` should not wait for them
    from ..safety.checker import SafetyChecker

# Exit status per decision; 2 stays the command line's "bad input".
EXIT = {"allow": 0, "confirm": 3, "deny": 4}
FLAGGED = 4


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "check",
        help="judge an action or scan content for planted instructions",
        description=f"Prints the verdict as JSON. Exit status: {EXIT} for actions; 0 clean or "
        f"{FLAGGED} flagged for observations; 2 for input it cannot take.",
    )
    kinds = parser.add_subparsers(dest="kind", required=True)
    action = kinds.add_parser("action", help="allow, confirm or deny one action")
    action.add_argument("action", help="the action as JSON, as the check_action tool takes it; - reads stdin")
    action.add_argument("--agent-id", help="the agent whose policy applies (default: default)")
    action.add_argument(
        "--profile", metavar="JSON", help="the user acted for, laid over the agent's configured profile"
    )
    action.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="TEXT",
        help="a message of the user's, oldest first (repeatable): what the profile rules read the task from",
    )
    add_config_option(action)
    action.set_defaults(func=run_action)
    observation = kinds.add_parser("observation", help="scan content the agent reads")
    observation.add_argument("file", nargs="?", default="-", help="the file to scan (default: stdin)")
    observation.add_argument(
        "--integrity", choices=[i.value for i in Integrity], default=Integrity.external.value
    )
    add_config_option(observation)
    observation.set_defaults(func=run_observation)


def run_action(args: argparse.Namespace) -> int:
    from ..config.safety import UserProfile

    raw = sys.stdin.read() if args.action == "-" else args.action
    try:
        action = json.loads(raw)
        profile = UserProfile.model_validate_json(args.profile) if args.profile else None
    except json.JSONDecodeError as exc:
        return _refuse(f'action: not JSON ({exc}); pass an object such as \'{{"type": "navigate", ...}}\'')
    except ValidationError as exc:
        fields = "; ".join(f"profile.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _refuse(fields)
    checker = _checker(args.config)
    verdict = asyncio.run(checker.check_action(action, args.agent_id, args.user, profile=profile))
    print(verdict.model_dump_json(indent=2))
    return EXIT[verdict.decision.value]


def run_observation(args: argparse.Namespace) -> int:
    try:
        content = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(errors="replace")
    except OSError as exc:
        return _refuse(f"file: cannot read {args.file!r} ({exc.strerror})")
    report = asyncio.run(_checker(args.config).check_observation(content, Integrity(args.integrity)))
    print(report.model_dump_json(indent=2))
    return FLAGGED if report.flagged else 0


def _checker(config_path: str | None) -> SafetyChecker:
    """The config's safety checker on its encoders, without the router, gateway, memory or
    pools a server builds."""
    from ..app import build_safety, quiet_model_loading
    from ..embeddings import build_encoders

    config = config_or_exit(config_path)
    quiet_model_loading()
    return build_safety(config, build_encoders(config.encoders))


def _refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
