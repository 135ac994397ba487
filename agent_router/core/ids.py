"""The ids a caller gives to tie a call to session memory, checked before any work is done, so
a bad id fails fast instead of after the work; and the keys they are stored under.

A caller names its sessions by its own ids; memory stores them under keys scoped to the
caller's tenant (memory/ids.py). Every operation maps an id to its key here, on the way in,
and a key back to the id (own_id) on the way out, so no caller ever names, sees or reaches
another tenant's session."""

from __future__ import annotations

from typing import overload

from ..errors import InputError
from ..memory.ids import session_id_of, session_key
from ..memory.store import check_id
from .caller import Caller


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


@overload
def key_of(caller: Caller, session_id: str) -> str: ...
@overload
def key_of(caller: Caller, session_id: None) -> None: ...
@overload
def key_of(caller: Caller, session_id: str | None) -> str | None: ...
def key_of(caller: Caller, session_id: str | None) -> str | None:
    """The key the caller's session is stored under (an InputError on session_id when the id
    cannot be one of its tenant's)."""
    return None if session_id is None else session_key(caller.tenant, session_id)


def own_id(key: str) -> str:
    """The id the caller knows a stored session by."""
    return session_id_of(key)
