"""agent-router keys create|list|revoke: the API keys `serve --http` accepts in auth mode keys.
They live in the memory database (only their SHA-256), so every replica on it accepts them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..tenancy import Role
from .common import add_store_options, run_on_store

if TYPE_CHECKING:
    from ..memory import MemoryStore
    from ..memory.keys import KeyInfo


def add_parsers(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="API keys of tenants, for serve --http")
    verbs = keys.add_subparsers(dest="keys_command", required=True)
    create = verbs.add_parser("create", help="make a key and print its secret, once")
    create.add_argument("--tenant", required=True, help="the tenant whose data the key reaches")
    create.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=Role.agent.value,
        help="agent (default), operator (may act for any agent id of the tenant) or admin",
    )
    create.add_argument("--agent-id", help="bind the key to this agent id: its policy applies")
    create.add_argument("--name", help="a note to tell keys apart in the list")
    listing = verbs.add_parser("list", help="keys and whether they are revoked (never the secrets)")
    listing.add_argument("--tenant", help="only this tenant's keys")
    revoke = verbs.add_parser("revoke", help="stop accepting a key (within auth.key_cache_seconds)")
    revoke.add_argument("id", help="the key id `keys list` shows")
    for parser, action in ((create, _create), (listing, _list), (revoke, _revoke)):
        add_store_options(parser)
        parser.set_defaults(func=lambda a, action=action: run_on_store(a, action))


def _line(info: KeyInfo) -> str:
    revoked = info.revoked_at
    state = "active" if revoked is None else f"revoked {revoked.isoformat(timespec='seconds')}"
    return (
        f"{info.id}\t{info.tenant}\t{info.role}\t{info.agent_id or '-'}\t{info.name or '-'}\t"
        f"created {info.created_at.isoformat(timespec='seconds')}\t{state}"
    )


async def _create(store: MemoryStore, args: argparse.Namespace) -> int:
    info, secret = await store.keys.create(args.tenant, args.role, agent_id=args.agent_id, name=args.name)
    print(f"id:  {info.id}")
    print(f"key: {secret}")
    print("The key is shown only now: the database keeps its hash. Send it as 'Authorization: Bearer KEY'.")
    return 0


async def _list(store: MemoryStore, args: argparse.Namespace) -> int:
    for info in await store.keys.list(args.tenant):
        print(_line(info))
    return 0


async def _revoke(store: MemoryStore, args: argparse.Namespace) -> int:
    print(_line(await store.keys.revoke(args.id)))
    return 0
