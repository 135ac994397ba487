"""The claims an AccessToken carries for surface/identity.py, whichever verifier made it: each
verifier maps what it checked (a stored key, a JWT's own claim names) onto these."""

from __future__ import annotations

from typing import Any

from ..tenancy import Role

TENANT_CLAIM = "tenant"
ROLE_CLAIM = "role"
AGENT_CLAIM = "agent_id"


def identity_claims(tenant: str, role: Role, agent_id: str | None, **extra: Any) -> dict[str, Any]:
    return {TENANT_CLAIM: tenant, ROLE_CLAIM: role.value, AGENT_CLAIM: agent_id, **extra}
