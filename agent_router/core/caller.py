"""Who is calling: the tenant whose data a call may touch, the agent whose policy applies, the
role that bounds what it may ask for, and whether it is the machine's own user. The surface
builds it from authentication (surface/identity.py); nothing a caller sends can change it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ..errors import InputError
from ..trust import LOCAL_TENANT

__all__ = ["LOCAL_TENANT", "Caller", "Role", "check_tenant"]
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Role(StrEnum):
    """What an identity may do within its tenant, each role including the ones above it."""

    agent = "agent"  # route, select, call, check, dispatch and read its tenant's memory
    operator = "operator"  # also acts for any agent id of its tenant (picks the policy)
    admin = "admin"  # also replays under a whole config

    def at_least(self, other: Role) -> bool:
        return _ROLES.index(self) >= _ROLES.index(other)


_ROLES = [Role.agent, Role.operator, Role.admin]


def check_tenant(name: str, field: str = "tenant") -> str:
    if not TENANT_PATTERN.match(name):
        raise InputError.single(field, "use 1-64 letters, digits and _.- starting with a letter or digit")
    return name


@dataclass(frozen=True)
class Caller:
    """`local`: the machine's own user (stdio, the CLI, code that embeds the router), who may
    name files on the server; a caller over HTTP never is, authenticated or not."""

    tenant: str = LOCAL_TENANT
    agent_id: str | None = None
    role: Role = Role.admin
    local: bool = True

    def acting_as(self, agent_id: str | None) -> Caller:
        """The caller with the agent id a tool argument names. An identity bound to an agent
        keeps its own; an agent-role identity may not pick a policy; operators and the local
        user may."""
        if agent_id is None or agent_id == self.agent_id:
            return self
        if self.agent_id is not None or not self.role.at_least(Role.operator):
            raise InputError.single(
                "agent_id",
                "this identity cannot act for another agent: leave agent_id out "
                "(the policy comes from the key or token)",
            )
        return Caller(self.tenant, agent_id, self.role, self.local)
