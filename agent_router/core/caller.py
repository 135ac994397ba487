"""Who is calling: the tenant whose data a call may touch, the agent whose policy applies, the
role that bounds what it may ask for, and whether it is the machine's own user. The surface
builds it from authentication (surface/identity.py); nothing a caller sends can change it."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..tenancy import LOCAL_TENANT, Role

# The tenant rules live below memory (agent_router/tenancy.py), which stores keys that name them.
__all__ = ["LOCAL_TENANT", "Caller", "Role"]


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
