"""Tool selection follows what other replicas learn: every few seconds (state.follow_s) it reads
the successful calls and the feedback recorded in memory since it last looked, and learns those
this process did not learn itself at the time (tools/taught.py). A poll of two primary-key
ranges works on SQLite and PostgreSQL alike and costs two indexed reads when nothing is new;
LISTEN/NOTIFY would be quicker but exists only on PostgreSQL.

A call learns only where a selection in its session offered the tool, read from memory, so a
select_tools on one replica and a call_tool on another still teach the ranking.

Model choice follows the same way: each round sums in the model outcomes (ratings, dispatch
results) other replicas recorded since (App.relearn_model_outcomes)."""

from __future__ import annotations

import asyncio
import logging

from ..app import App
from ..memory import Seen, outcomes_since, seen_now

log = logging.getLogger("agent_router.following")


async def catch_up(app: App, seen: Seen) -> tuple[int, Seen]:
    """Learn what was recorded after `seen` and not learned here; (outcomes learned, how far
    it read). Nothing happens without tools or memory."""
    if app.tools is None or app.memory is None:
        return 0, seen
    rows, seen = await outcomes_since(app.memory.database, seen)
    uses = [use for origin, row in rows if not app.tools.taught.claim(*origin) for use in row]
    if uses:
        await app.tools.learn(uses)
    return len(uses), seen


async def follow(app: App, seen: Seen, *, every_s: float) -> None:
    """catch_up and sum in model outcomes forever from `seen`; a failed read is logged and
    tried again."""
    while True:
        await asyncio.sleep(every_s)
        try:
            learned, seen = await catch_up(app, seen)
            if learned:
                log.info("tool selection learned %d outcomes recorded by other replicas", learned)
            await app.relearn_model_outcomes()
        except Exception as exc:  # noqa: BLE001 - selection works without them; next round retries
            log.warning("outcomes of other replicas not read: %s", exc)


async def start_following(app: App) -> asyncio.Task[None] | None:
    """Where memory runs: the task that follows from now (what was recorded before, App.start
    relearned)."""
    if app.memory is None:
        return None
    try:
        seen = await seen_now(app.memory.database)
    except Exception as exc:  # noqa: BLE001 - a replica without it learns only its own outcomes
        log.warning("not following the outcomes of other replicas: %s", exc)
        return None
    return asyncio.create_task(follow(app, seen, every_s=app.config.state.follow_s))
