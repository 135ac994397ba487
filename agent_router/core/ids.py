"""The ids a caller gives to tie a call to session memory, checked before any work is done, so
a bad id fails fast instead of after the work."""

from __future__ import annotations

from ..errors import InputError
from ..memory.store import check_id


def check_ids(
    session_id: str | None, turn_id: str | None, agent_id: str | None = None, *, paired: bool = True
) -> None:
    """`paired`: a turn_id must come with its session_id (the safety checks, older than that
    rule, ignore a turn_id without a session)."""
    check_id(session_id, "session_id")
    check_id(turn_id, "turn_id")
    check_id(agent_id, "agent_id")
    if paired and session_id is None and turn_id is not None:
        raise InputError.single("turn_id", "a turn_id needs a session_id to belong to")
