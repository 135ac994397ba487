"""Authentication of `serve --http` as an OAuth 2.1 resource server (mode jwt): access tokens
signed by the issuer's key (from a JWKS file) for this audience are accepted and carry their
tenant, role and agent id; wrong audience, issuer, signer, or an expired token gets 401; the
protected-resource metadata tells clients where to get a token."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from processes import CLI, config_file, free_port, serve_http, stop
from routers import bearer_client, post_mcp

ISSUER = "https://issuer.example"
AUDIENCE = "agent-router-tests"
KID = "test-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class JwtServer:
    base: str
    signing_key: rsa.RSAPrivateKey

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def token(self, key: rsa.RSAPrivateKey | None = None, kid: str = KID, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 600}
        payload.update({"tenant": "acme", "role": "agent", "scope": "mcp"}, **claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.signing_key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JwtServer]:
    folder = tmp_path_factory.mktemp("router-jwt")
    signing_key = new_key()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwks = folder / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}))
    config = config_file(
        folder / "config.yaml",
        memory={"url": f"sqlite+aiosqlite:///{folder / 'memory.db'}"},
        auth={
            "mode": "jwt",
            "jwks_file": str(jwks),
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "required_scopes": ["mcp"],
        },
    )
    proc, port = serve_http(folder / "stderr.log", "--config", str(config))
    yield JwtServer(f"http://127.0.0.1:{port}", signing_key)
    stop(proc)


async def status_of(server: JwtServer, token: str | None) -> httpx.Response:
    return await post_mcp(server.url, token)


async def test_a_good_token_reaches_the_tools(jwt_server: JwtServer) -> None:
    async with bearer_client(jwt_server.url, jwt_server.token()) as client:
        result = await client.call_tool("check_action", {"action": {"type": "click", "x": 1, "y": 1}})
    assert not result.is_error, result.content


async def test_no_token_gets_401_pointing_at_the_resource_metadata(jwt_server: JwtServer) -> None:
    response = await status_of(jwt_server, None)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'resource_metadata="' in challenge
    metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
    assert metadata_url == jwt_server.base + "/.well-known/oauth-protected-resource/mcp"
    async with httpx.AsyncClient(timeout=30) as http:
        metadata = (await http.get(metadata_url)).json()
    assert metadata["resource"] == jwt_server.url
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["scopes_supported"] == ["mcp"]


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-service"},
        {"iss": "https://attacker.example"},
        {"exp": int(time.time()) - 120},
        {"tenant": None},  # no tenant: refused, not given a default one
        {"tenant": "../globex"},
        {"role": "root"},
        {"exp": None},
    ],
    ids=["audience", "issuer", "expired", "no-tenant", "bad-tenant", "bad-role", "no-expiry"],
)
async def test_a_token_with_wrong_claims_gets_401(jwt_server: JwtServer, claims: dict[str, Any]) -> None:
    response = await status_of(jwt_server, jwt_server.token(**claims))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_a_token_signed_by_another_key_gets_401(jwt_server: JwtServer) -> None:
    assert (await status_of(jwt_server, jwt_server.token(new_key()))).status_code == 401
    assert (await status_of(jwt_server, jwt_server.token(new_key(), kid="other"))).status_code == 401


async def test_a_token_with_symmetric_or_no_signature_gets_401(jwt_server: JwtServer) -> None:
    """Algorithm confusion: HS256 keyed with the public JWK's text, and alg none."""
    claims = jwt.decode(jwt_server.token(), options={"verify_signature": False})
    hs = jwt.encode(claims, "secret-anyone-could-guess-0123456789", algorithm="HS256", headers={"kid": KID})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": KID})
    assert (await status_of(jwt_server, hs)).status_code == 401
    assert (await status_of(jwt_server, unsigned)).status_code == 401


async def test_a_token_without_the_required_scope_gets_403(jwt_server: JwtServer) -> None:
    response = await status_of(jwt_server, jwt_server.token(scope="other"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_metrics_need_a_token_with_the_required_scope(jwt_server: JwtServer) -> None:
    async with httpx.AsyncClient(base_url=jwt_server.base, timeout=60) as http:
        unscoped = await http.get(
            "/metrics", headers={"authorization": f"Bearer {jwt_server.token(scope='x')}"}
        )
        scoped = await http.get("/metrics", headers={"authorization": f"Bearer {jwt_server.token()}"})
        anonymous = await http.get("/metrics")
    assert anonymous.status_code == 401
    assert unscoped.status_code == 403
    assert 'error="insufficient_scope"' in unscoped.headers["www-authenticate"]
    assert scoped.status_code == 200 and "agent_router_" in scoped.text


async def test_the_tokens_role_and_agent_reach_the_caller(jwt_server: JwtServer) -> None:
    """An agent-role token bound to one agent cannot act for another; an operator's can."""
    action = {"action": {"type": "click", "x": 1, "y": 1}, "agent_id": "bot-b"}
    agent = jwt_server.token(agent_id="bot-a")
    operator = jwt_server.token(role="operator")
    async with bearer_client(jwt_server.url, agent) as client:
        refused = await client.call_tool("check_action", action)
        own = await client.call_tool("check_action", {**action, "agent_id": "bot-a"})
    async with bearer_client(jwt_server.url, operator) as client:
        allowed = await client.call_tool("check_action", action)
    assert refused.is_error and "agent_id" in refused.content[0].text
    assert not own.is_error, own.content
    assert not allowed.is_error, allowed.content


def test_jwks_file_path_is_checked_at_start(tmp_path: Path) -> None:
    """A missing JWKS file is a config error naming auth.jwks_file, before anything loads."""
    config = config_file(
        tmp_path / "config.yaml",
        auth={
            "mode": "jwt",
            "jwks_file": str(tmp_path / "absent.json"),
            "issuer": ISSUER,
            "audience": AUDIENCE,
        },
    )
    done = subprocess.run(
        [CLI, "serve", "--http", "--config", str(config), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "auth.jwks_file" in done.stderr
