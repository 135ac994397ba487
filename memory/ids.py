"""Ids a caller gives (session, turn, agent) and the InputErrors that name them."""

from __future__ import annotations

import re

from ..errors import InputError

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,200}$")


def check_id(value: str | None, field: str) -> None:
    if value is not None and not ID_PATTERN.match(value):
        raise InputError.single(field, "use 1-200 characters from letters, digits and _.:@/+=-")


def no_session(session_id: str) -> InputError:
    return InputError.single(
        "session_id",
        f"no session {session_id!r}; sessions are created "
        "by route_turn with a session_id (see sessions://recent)",
    )


def unknown_turn(session_id: str, turn_id: str) -> InputError:
    return InputError.single(
        "turn_id", f"session {session_id!r} has no turn {turn_id!r}; give the turn_id passed to route_turn"
    )
