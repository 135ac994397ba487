"""The issuer's keys from a JWKS URL (a real local HTTP server): fetched at start, fetched again
when a token names a key id not seen (the issuer rotated), but not more often than every
REFETCH_EVERY_S, so made-up key ids cannot make the router hammer the issuer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from agent_router.auth.jwks import REFETCH_EVERY_S, JwksKeys


def jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid}


class Issuer:
    """Serves {"keys": self.keys} at /jwks and counts the fetches."""

    def __init__(self) -> None:
        self.keys = [jwk("k1")]
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                issuer.fetches += 1
                body = json.dumps({"keys": issuer.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    served = Issuer()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    thread.join()


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_keys_are_fetched_at_start_and_again_for_an_unknown_kid(issuer: Issuer) -> None:
    clock = Clock()
    keys = JwksKeys.from_url(issuer.url, timeout_s=5, clock=clock)
    assert issuer.fetches == 1
    found = await keys.key("k1")
    assert found is not None and found.key_id == "k1"
    assert await keys.key(None) is not None  # one key: a token without kid may use it
    issuer.keys = [jwk("k2")]  # the issuer rotates
    assert await keys.key("k2") is None  # too soon after the last fetch: not asked again
    assert issuer.fetches == 1
    clock.now += REFETCH_EVERY_S
    rotated = await keys.key("k2")
    assert rotated is not None and rotated.key_id == "k2"
    assert issuer.fetches == 2
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        assert await keys.key(kid) is None
    assert issuer.fetches == 2


async def test_an_issuer_down_at_start_is_asked_on_the_first_token(issuer: Issuer) -> None:
    clock = Clock()
    down = JwksKeys.from_url("http://127.0.0.1:9/jwks", timeout_s=1, clock=clock)
    assert await down.key("k1") is None
    later = JwksKeys(None, url=issuer.url, timeout_s=5, clock=clock)
    found = await later.key("k1")
    assert found is not None and issuer.fetches == 1
