"""Who may call the server over HTTP: API keys from the memory database, JWTs of an OAuth 2.1
authorization server, or nobody checked at all (loopback only). stdio needs none of it: the
process that spawned the server is its owner."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field

from .routing import Strict

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# Asymmetric algorithms only: a JWKS publishes public keys, and accepting HS* with them would let
# anyone who reads the JWKS sign tokens (algorithm confusion); "none" is never accepted.
JwtAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]

DEFAULT_ALGORITHMS: list[JwtAlgorithm] = ["RS256", "ES256"]


class AuthMode(StrEnum):
    keys = "keys"  # API keys created with `agent-router keys create`, hashed in the memory database
    jwt = "jwt"  # OAuth 2.1 access tokens (JWTs) checked against the issuer's JWKS
    none = "none"  # no authentication: the server binds loopback only


class AuthSpec(Strict):
    mode: AuthMode = Field(AuthMode.keys, description="keys, jwt, or none (loopback only)")
    jwks_file: Path | None = Field(None, description="jwt: the issuer's JWKS as a local JSON file")
    jwks_url: str | None = Field(
        None, description="jwt: the issuer's JWKS URL, fetched at start and when a token names an unknown kid"
    )
    jwks_timeout_s: float = Field(5.0, gt=0, description="jwt: how long a JWKS fetch may take")
    issuer: str | None = Field(None, description="jwt: the `iss` every token must carry")
    audience: str | None = Field(None, description="jwt: the `aud` every token must include")
    required_scopes: list[str] = Field(default_factory=list, description="scopes every token must have")
    algorithms: list[JwtAlgorithm] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS), min_length=1)
    tenant_claim: str = Field("tenant", min_length=1, description="jwt: the claim naming the tenant")
    role_claim: str = Field("role", min_length=1, description="jwt: the claim naming the role")
    agent_claim: str = Field("agent_id", min_length=1, description="jwt: the claim naming the agent id")
    resource_server_url: str | None = Field(
        None,
        description="jwt: this server's URL as clients reach it, for the protected-resource "
        "metadata; default http://HOST:PORT/mcp of serve --http",
    )
    allowed_hosts: list[str] | None = Field(
        None,
        description="Host headers accepted (host:* for any port); default the loopback names "
        "and the bound host when it is not a wildcard",
    )
    allowed_origins: list[str] | None = Field(
        None, description="Origin headers accepted (scheme://host:* for any port); default as allowed_hosts"
    )
    key_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="keys: a verified key is trusted this long without asking the database, "
        "so a revoked key stops working within it",
    )

    def issues(self) -> Iterator[tuple[str, str]]:
        """(field, message) for settings that contradict each other or the mode."""
        if self.mode != AuthMode.jwt:
            return
        if (self.jwks_file is None) == (self.jwks_url is None):
            yield "jwks_file", "mode jwt needs exactly one of jwks_file or jwks_url"
        if self.jwks_url is not None and not self.jwks_url.startswith(("https://", "http://")):
            yield "jwks_url", "give an http(s) URL"
        for name in ("issuer", "audience"):
            if not getattr(self, name):
                yield name, f"mode jwt needs {name}: tokens are checked against it"
        if self.issuer and not self.issuer.startswith(("https://", "http://")):
            yield "issuer", "give the authorization server's URL, as its tokens' iss claim spells it"
        if self.resource_server_url is not None and not self.resource_server_url.startswith(
            ("https://", "http://")
        ):
            yield "resource_server_url", "give an http(s) URL"
