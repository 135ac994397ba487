"""Tenant names and roles: the vocabulary of identity that every layer shares. The memory layer
stores keys that name a tenant and a role, and core builds the Caller from them, so both rules
live here, below either."""

from __future__ import annotations

import re
from enum import StrEnum

from .errors import InputError

# The tenant of the machine's own user (stdio, the CLI) and of every session stored before
# tenants: its session keys are the caller's ids as they are, so older databases keep working.
LOCAL_TENANT = "local"
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Role(StrEnum):
    """What an identity may do within its tenant, each role including the ones above it."""

    agent = "agent"  # route, select, call, check, dispatch and read its tenant's memory
    operator = "operator"  # also acts for any agent id of its tenant (picks the policy)
    admin = "admin"  # reserved for administration over HTTP; today as operator

    def at_least(self, other: Role) -> bool:
        return _ROLES.index(self) >= _ROLES.index(other)


_ROLES = [Role.agent, Role.operator, Role.admin]


def check_tenant(name: str, field: str = "tenant") -> str:
    if not TENANT_PATTERN.match(name):
        raise InputError.single(field, "use 1-64 letters, digits and _.- starting with a letter or digit")
    return name


def check_role(name: str, field: str = "role") -> Role:
    try:
        return Role(name)
    except ValueError:
        raise InputError.single(field, f"use one of: {', '.join(_ROLES)}") from None
