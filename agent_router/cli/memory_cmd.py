"""agent-router db upgrade, and agent-router sessions list|show|export|import|forget."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..tenancy import check_tenant
from .common import add_store_options, run_on_store

if TYPE_CHECKING:
    from ..memory import MemoryStore


def add_parsers(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="the session memory database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply schema migrations")
    add_store_options(upgrade)
    upgrade.set_defaults(func=lambda a: run_on_store(a, _upgrade))

    sessions = commands.add_parser("sessions", help="stored sessions")
    verbs = sessions.add_subparsers(dest="sessions_command", required=True)
    listing = verbs.add_parser("list", help="the most recently active sessions")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--agent", help="only this agent's sessions")
    listing.add_argument(
        "--tenant", type=check_tenant, help="only this tenant's sessions (default: every tenant's)"
    )
    show = verbs.add_parser("show", help="a session's transcript as JSON")
    show.add_argument("session_id")
    export = verbs.add_parser("export", help="sessions as JSON Lines on stdout")
    export.add_argument(
        "--session", action="append", metavar="ID", help="export this session (repeatable; default: all)"
    )
    export.add_argument(
        "--tenant",
        type=check_tenant,
        help="export this tenant's sessions (with --session: the tenant's sessions of those ids); "
        "default: every tenant's, each session under its key (tenant#id, the id alone for local)",
    )
    importing = verbs.add_parser("import", help="JSON Lines from export, from a file or stdin")
    importing.add_argument("file", nargs="?", default="-")
    forget = verbs.add_parser("forget", help="delete a session and everything of it")
    forget.add_argument("session_id")
    for parser, action in (
        (listing, _list),
        (show, _show),
        (export, _export),
        (importing, _import),
        (forget, _forget),
    ):
        add_store_options(parser)
        parser.set_defaults(func=lambda a, action=action: run_on_store(a, action))


async def _upgrade(store: MemoryStore, args: argparse.Namespace) -> int:
    from ..memory.migrate import current_revision

    print(f"database at revision {await current_revision(store.engine)}")
    return 0


async def _list(store: MemoryStore, args: argparse.Namespace) -> int:
    for s in await store.list_sessions(args.limit, tenant=args.tenant, agent_id=args.agent):
        print(
            f"{s.id}\t{s.agent_id or '-'}\t{s.turns} turns\t{s.messages} messages\t"
            f"updated {s.updated_at.isoformat(timespec='seconds')}"
        )
    return 0


async def _show(store: MemoryStore, args: argparse.Namespace) -> int:
    print(json.dumps(await store.transcript(args.session_id), indent=2, default=str))
    return 0


async def _export(store: MemoryStore, args: argparse.Namespace) -> int:
    from ..memory.ids import session_key
    from ..memory.transcript import export_lines

    keys = args.session
    if args.tenant is not None and keys is not None:
        keys = [session_key(args.tenant, sid) for sid in keys]
    async for line in export_lines(store.database, keys, tenant=args.tenant):
        sys.stdout.write(line + "\n")
    return 0


async def _import(store: MemoryStore, args: argparse.Namespace) -> int:
    from ..memory.transcript import import_events, parse_lines

    if args.file == "-":
        events = parse_lines(sys.stdin)
    else:
        with open(args.file, encoding="utf-8") as handle:
            events = parse_lines(handle)
    imported = await import_events(store.database, events)
    print(f"imported {len(imported)} session(s)", file=sys.stderr)
    return 0


async def _forget(store: MemoryStore, args: argparse.Namespace) -> int:
    deleted = await store.forget_session(args.session_id)
    print(json.dumps(deleted))
    return 0
