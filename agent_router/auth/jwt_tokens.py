"""The TokenVerifier of OAuth 2.1 access tokens (mode `jwt`): a JWT signed by one of the
issuer's keys, for this audience, from this issuer, not expired. The configured claim names
become the tenant, role and agent id surface/identity.py reads; a token without a valid tenant
or role is refused rather than given a default, so a misconfigured issuer fails closed."""

from __future__ import annotations

import logging
from typing import Any

import jwt
from mcp.server.auth.provider import AccessToken

from ..config import AuthSpec
from ..errors import InputError
from ..memory import check_id
from ..tenancy import Role, check_role, check_tenant
from .claims import identity_claims
from .jwks import JwksKeys

log = logging.getLogger("agent_router.auth")


class JwtVerifier:
    def __init__(self, spec: AuthSpec, keys: JwksKeys):
        self._spec = spec
        self._keys = keys

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = await self._keys.key(kid if isinstance(kid, str) else None)
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self._spec.algorithms),
                audience=self._spec.audience,
                issuer=self._spec.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
            return self._access(token, claims)
        except (jwt.PyJWTError, InputError) as exc:
            # The reason only: the token is a credential and stays out of the log.
            log.info("bearer JWT refused: %s", exc)
            return None

    def _access(self, token: str, claims: dict[str, Any]) -> AccessToken:
        spec = self._spec
        tenant = check_tenant(str(claims.get(spec.tenant_claim, "")), spec.tenant_claim)
        role = check_role(str(claims.get(spec.role_claim, Role.agent)), spec.role_claim)
        agent_id = claims.get(spec.agent_claim)
        agent_id = None if agent_id is None else str(agent_id)
        check_id(agent_id, spec.agent_claim)
        subject = claims.get("sub")
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or subject or ""),
            subject=None if subject is None else str(subject),
            scopes=_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=spec.audience,
            claims=identity_claims(tenant, role, agent_id, iss=claims.get("iss")),
        )


def _scopes(claims: dict[str, Any]) -> list[str]:
    """RFC 9068 `scope` is a space-separated string; some issuers send `scp` as a list."""
    scope = claims.get("scope", claims.get("scp", []))
    if isinstance(scope, str):
        return scope.split()
    return [str(s) for s in scope] if isinstance(scope, list) else []
