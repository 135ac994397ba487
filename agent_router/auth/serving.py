"""How `serve --http` guards its door: which bearer tokens it accepts (AuthSettings and the
TokenVerifier the SDK's middleware calls), which Host and Origin headers it answers (DNS
rebinding protection, always on), and the refusal to serve without authentication anywhere but
loopback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import ValidationError

from ..config import AuthMode, AuthSpec, ConfigError, ConfigIssue
from ..config.auth import LOOPBACK_HOSTS
from ..memory.keys import ApiKeys
from .keys import KeyVerifier

log = logging.getLogger("agent_router.auth")

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class HttpAuth:
    """What the server needs to require a bearer token on every MCP request."""

    settings: AuthSettings
    verifier: TokenVerifier


def url_host(host: str) -> str:
    """The host as a URL or Host header spells it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def check_bind(spec: AuthSpec, host: str) -> None:
    """Refuse what would expose the server: no authentication off loopback, and a jwt resource
    URL that cannot be derived from a wildcard address."""
    if spec.mode == AuthMode.none and host not in LOOPBACK_HOSTS:
        raise ConfigError(
            [
                ConfigIssue(
                    "auth.mode",
                    f"mode none serves without authentication, so it binds only loopback "
                    f"({', '.join(LOOPBACK_HOSTS)}), not {host!r}; use mode keys or jwt to serve "
                    "other hosts",
                )
            ]
        )
    if spec.mode == AuthMode.jwt and spec.resource_server_url is None and host in WILDCARD_HOSTS:
        raise ConfigError(
            [
                ConfigIssue(
                    "auth.resource_server_url",
                    f"the server binds the wildcard address {host!r}, so its URL cannot be "
                    "derived; set the URL clients use, e.g. https://router.example.com/mcp",
                )
            ]
        )


def transport_security(spec: AuthSpec, host: str) -> TransportSecuritySettings:
    """Host and Origin headers the server answers: the configured lists, else the loopback
    names and the bound host unless it is a wildcard."""
    names = [url_host(h) for h in LOOPBACK_HOSTS]
    if host not in WILDCARD_HOSTS and host not in LOOPBACK_HOSTS:
        names.append(url_host(host))
    elif spec.allowed_hosts is None and host in WILDCARD_HOSTS:
        log.warning(
            "auth.allowed_hosts is not set and the server binds %r: only Host headers naming "
            "loopback are answered; list the names clients use in auth.allowed_hosts",
            host,
        )
    hosts = spec.allowed_hosts
    if hosts is None:
        hosts = [*names, *(f"{name}:*" for name in names)]
    origins = spec.allowed_origins
    if origins is None:
        origins = [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_auth(
    spec: AuthSpec,
    *,
    url: str,
    keys: Callable[[], ApiKeys | None],
    memory_enabled: bool,
) -> HttpAuth | None:
    """The token check of a server answering at `url`, None in mode none. `keys` gives the
    running App's key store (see KeyVerifier). Raises ConfigError for what cannot work."""
    if spec.mode == AuthMode.none:
        return None
    if spec.mode == AuthMode.keys:
        if not memory_enabled:
            raise ConfigError(
                [
                    ConfigIssue(
                        "auth.mode",
                        "mode keys checks API keys in the memory database, and memory.enabled "
                        "is false; enable memory or use mode jwt",
                    )
                ]
            )
        # No authorization server and no metadata: keys are made with `agent-router keys create`.
        settings = _settings(issuer_url=url, resource_server_url=None)
        return HttpAuth(settings, KeyVerifier(keys, cache_seconds=spec.key_cache_seconds))
    # PyJWT loads in about 0.1 s: only servers in mode jwt pay for it.
    from .jwks import JwksKeys
    from .jwt_tokens import JwtVerifier

    assert spec.issuer is not None
    if spec.jwks_file is not None:
        jwks = JwksKeys.from_file(spec.jwks_file)
    else:
        assert spec.jwks_url is not None
        jwks = JwksKeys.from_url(spec.jwks_url, timeout_s=spec.jwks_timeout_s)
    settings = _settings(
        issuer_url=spec.issuer,
        resource_server_url=spec.resource_server_url or url,
        required_scopes=spec.required_scopes or None,
        # The verifier checks the audience itself (jwt.decode with auth.audience).
        validate_token_resource=False,
    )
    return HttpAuth(settings, JwtVerifier(spec, jwks))


# Where each AuthSettings field comes from, for the ConfigIssue of a value it refuses.
SOURCES = {"issuer_url": "auth.issuer", "resource_server_url": "auth.resource_server_url"}


def _settings(**fields: Any) -> AuthSettings:
    """AuthSettings validated from the config's strings as given: an issuer is compared as an
    exact string (RFC 8414), so no trailing slash may be added to it."""
    try:
        return AuthSettings.model_validate(fields)
    except ValidationError as exc:
        issues = [ConfigIssue(SOURCES.get(str(e["loc"][0]), "auth"), e["msg"]) for e in exc.errors()]
        raise ConfigError(issues) from None
