"""Ids a caller gives (session, turn, agent), the session keys they are stored under, and the
InputErrors that name them.

A session is stored under its key: the caller's own id for the local tenant, so databases from
before tenants keep working, and `tenant#id` for any other. `#` is outside the id alphabet, so
no id a caller gives can name another tenant's key. Errors show the caller's own id."""

from __future__ import annotations

import re

from ..errors import InputError
from ..tenancy import LOCAL_TENANT

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,200}$")
KEY_LENGTH = 200  # sessions.id and every session_id column are String(200)
TENANT_SEPARATOR = "#"
_KEY_PATTERN = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}#)?[A-Za-z0-9_.:@/+=-]{1,200}$")


def check_id(value: str | None, field: str) -> None:
    if value is not None and not ID_PATTERN.match(value):
        raise InputError.single(field, "use 1-200 characters from letters, digits and _.:@/+=-")


def session_key(tenant: str, session_id: str) -> str:
    """The key `session_id` of `tenant` is stored under. An id whose key would not fit is the
    caller's InputError, naming the longest id this tenant may use."""
    check_id(session_id, "session_id")
    if tenant == LOCAL_TENANT:
        return session_id
    key = f"{tenant}{TENANT_SEPARATOR}{session_id}"
    if len(key) > KEY_LENGTH:
        longest = KEY_LENGTH - len(tenant) - len(TENANT_SEPARATOR)
        raise InputError.single("session_id", f"use at most {longest} characters in this tenant")
    return key


def split_key(key: str) -> tuple[str, str]:
    """(tenant, the caller's session id) of a stored key: session_key's inverse."""
    tenant, separator, session_id = key.partition(TENANT_SEPARATOR)
    return (tenant, session_id) if separator else (LOCAL_TENANT, key)


def tenant_of(key: str) -> str:
    return split_key(key)[0]


def session_id_of(key: str) -> str:
    """The id the session's own tenant knows it by: what every result and error shows."""
    return split_key(key)[1]


def check_key(key: str) -> None:
    """A stored key, as the store's callers hand it (the core maps ids to keys)."""
    if len(key) > KEY_LENGTH or not _KEY_PATTERN.match(key):
        raise InputError.single("session_id", "use 1-200 characters from letters, digits and _.:@/+=-")


def no_session(key: str) -> InputError:
    return InputError.single(
        "session_id",
        f"no session {session_id_of(key)!r}; sessions are created "
        "by route_turn with a session_id (see sessions://recent)",
    )


def unknown_turn(key: str, turn_id: str) -> InputError:
    return InputError.single(
        "turn_id",
        f"session {session_id_of(key)!r} has no turn {turn_id!r}; give the turn_id passed to route_turn",
    )
