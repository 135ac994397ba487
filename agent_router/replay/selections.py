"""Tool selections re-decided through the core's selection code (core.tool_selection), on a
private fork of each policy's gateway: successful calls of tools from the last selection teach
the fork as they taught the live gateway (Gateway.learn_call), and the session's recent calls
lift their tools as select_tools does.

A fork of the running gateway carries what the server learned (other sessions' outcomes, CLIP,
feedback), including what this very session taught it after each selection; that part is taken
back first (a negative outcome on the same request cancels it), so each selection sees what the
live one saw. Outcomes other sessions taught after this one ran cannot be told apart."""

from __future__ import annotations

import asyncio

import numpy as np

from ..core.approval import blocked_servers
from ..core.tool_selection import ToolRequest, decide_tools
from ..tools.gateway import Gateway
from ..tools.query import embed_request
from .diff import ReplayItem, Side, changes
from .policy import Policy
from .sessions import RecordedCall, RecordedSelection, RecordedSession
from .text import short


async def replay_selections(
    session: RecordedSession, new: Policy, baseline: Policy | None
) -> list[ReplayItem]:
    if not session.selections:
        return []
    policies = [p for p in (baseline, new) if p is not None]
    missing = [p.label for p in policies if p.tools is None]
    items = [
        ReplayItem(
            session_id=session.id,
            kind="tools",
            index=i,
            turn_id=s.turn_id,
            text=short(s.query),
            before_label="baseline" if baseline else "recorded",
        )
        for i, s in enumerate(session.selections, 1)
    ]
    if missing:
        for item in items:
            item.problems.append(f"tool selection is not set up in the {missing[0]} config")
        return items
    encoder = new.router.encoders.text
    # As select_tools embeds them; embedded together, the encoder batches them (and caches them
    # for decide_tools).
    vectors = await asyncio.gather(*(embed_request(encoder, s.query) for s in session.selections))
    calls = sorted(session.calls, key=lambda c: c.created_at)
    forks = {p.label: _fork(p, session, vectors, calls) for p in policies}
    applied = 0
    for selection, item in zip(session.selections, items, strict=True):
        while applied < len(calls) and calls[applied].created_at < selection.created_at:
            call = calls[applied]
            if call.error is None:
                for gateway in forks.values():
                    gateway.learn_call(session.id, f"{call.server}/{call.tool}")
            applied += 1
        recorded = [f"{t.get('server')}/{t.get('name')}" for t in selection.selected]
        k = len(recorded) or new.config.tools.default_k
        sides = {}
        for policy in policies:
            picked = await decide_tools(
                forks[policy.label],
                encoder,
                ToolRequest(selection.query),
                k=k,
                recent=calls[:applied],
                session_id=session.id,
                blocked=blocked_servers(policy.safety, session.agent_id, forks[policy.label].server_names()),
                tenant=session.tenant,
            )
            sides[policy.label] = Side(tools=[f"{t.server}/{t.name}" for t in picked.tools])
        item.before = sides["baseline"] if baseline else Side(tools=recorded)
        item.after = sides["new"]
        item.changed = changes("tools", item.before, item.after)
        item.exact = item.before.tools == item.after.tools
    return items


def _fork(
    policy: Policy, session: RecordedSession, vectors: list[np.ndarray], calls: list[RecordedCall]
) -> Gateway:
    assert policy.tools is not None
    fork = policy.tools.fork()
    if policy.learned_live:
        _unlearn(fork, session.tenant, session.selections, vectors, calls)
    return fork


def _unlearn(
    gateway: Gateway,
    tenant: str,
    selections: list[RecordedSelection],
    vectors: list[np.ndarray],
    calls: list[RecordedCall],
) -> None:
    """Take back what the session's successful calls taught the live gateway, in the ranking of
    the session's tenant: each one of a tool its last recorded selection offered pulled the tool
    toward that selection's request."""
    events = sorted(
        [(s.created_at, 0, i) for i, s in enumerate(selections)]
        + [(c.created_at, 1, i) for i, c in enumerate(calls)]
    )
    offer: tuple[np.ndarray, set[str]] | None = None
    for _, kind, i in events:
        if kind == 0:
            keys = {f"{t.get('server')}/{t.get('name')}" for t in selections[i].selected}
            offer = (np.atleast_2d(vectors[i])[0], keys) if selections[i].query.strip() else None
            continue
        call = calls[i]
        key = f"{call.server}/{call.tool}"
        if call.error is None and offer is not None and key in offer[1]:
            gateway.index.reinforce(key, offer[0], -1.0, tenant=tenant)
