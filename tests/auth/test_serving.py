"""What `serve --http` accepts before any token: the auth section's checks, the loopback-only
rule of mode none, and the Host and Origin headers answered by default."""

from __future__ import annotations

from typing import Any

import pytest

from agent_router.auth import check_bind, http_auth, transport_security
from agent_router.config import AuthSpec, ConfigError, default_config, parse_config


def auth_issues(section: dict[str, Any]) -> dict[str, str]:
    data = default_config().model_dump(mode="json")
    with pytest.raises(ConfigError) as raised:
        parse_config({**data, "auth": section})
    return {issue.path: issue.message for issue in raised.value.issues}


def test_mode_jwt_needs_one_jwks_source_issuer_and_audience() -> None:
    issues = auth_issues({"mode": "jwt"})
    assert set(issues) == {"auth.jwks_file", "auth.issuer", "auth.audience"}
    both = auth_issues(
        {
            "mode": "jwt",
            "jwks_file": "/k.json",
            "jwks_url": "https://i/jwks",
            "issuer": "https://i",
            "audience": "a",
        }
    )
    assert set(both) == {"auth.jwks_file"}


def test_jwt_urls_must_be_http() -> None:
    issues = auth_issues(
        {
            "mode": "jwt",
            "jwks_url": "file:///etc/passwd",
            "issuer": "me",
            "audience": "a",
            "resource_server_url": "x",
        }
    )
    assert set(issues) == {"auth.jwks_url", "auth.issuer", "auth.resource_server_url"}


def test_symmetric_and_none_algorithms_are_not_accepted() -> None:
    for algorithm in ("HS256", "none"):
        issues = auth_issues({"mode": "keys", "algorithms": [algorithm]})
        assert list(issues) == ["auth.algorithms[0]"]


def test_mode_none_binds_loopback_only() -> None:
    spec = AuthSpec(mode="none")
    for host in ("127.0.0.1", "::1", "localhost"):
        check_bind(spec, host)
    for host in ("0.0.0.0", "::", "10.0.0.5", "router.example.com"):
        with pytest.raises(ConfigError) as raised:
            check_bind(spec, host)
        assert raised.value.issues[0].path == "auth.mode"
    check_bind(AuthSpec(mode="keys"), "0.0.0.0")


def test_mode_jwt_on_a_wildcard_needs_its_resource_url() -> None:
    spec = AuthSpec(mode="jwt", jwks_file="/k.json", issuer="https://i", audience="a")
    with pytest.raises(ConfigError) as raised:
        check_bind(spec, "0.0.0.0")
    assert raised.value.issues[0].path == "auth.resource_server_url"
    check_bind(spec.model_copy(update={"resource_server_url": "https://router.example/mcp"}), "0.0.0.0")


def test_default_hosts_are_loopback_and_the_bound_host() -> None:
    named = transport_security(AuthSpec(), "10.0.0.5")
    assert named.enable_dns_rebinding_protection
    assert {"127.0.0.1:*", "localhost:*", "[::1]:*", "10.0.0.5:*", "10.0.0.5"} <= set(named.allowed_hosts)
    assert "http://10.0.0.5:*" in named.allowed_origins
    wildcard = transport_security(AuthSpec(), "0.0.0.0")
    assert not any(h.startswith("0.0.0.0") for h in wildcard.allowed_hosts)
    assert "127.0.0.1:*" in wildcard.allowed_hosts


def test_configured_hosts_and_origins_replace_the_defaults() -> None:
    spec = AuthSpec(allowed_hosts=["router.example.com"], allowed_origins=["https://app.example.com"])
    security = transport_security(spec, "0.0.0.0")
    assert security.allowed_hosts == ["router.example.com"]
    assert security.allowed_origins == ["https://app.example.com"]
    assert security.enable_dns_rebinding_protection


def test_mode_keys_without_memory_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        http_auth(AuthSpec(), url="http://127.0.0.1:1/mcp", keys=lambda: None, memory_enabled=False)
    assert raised.value.issues[0].path == "auth.mode"
    assert (
        http_auth(AuthSpec(mode="none"), url="http://x/mcp", keys=lambda: None, memory_enabled=True) is None
    )
