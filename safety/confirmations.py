"""Confirmations as one-time challenges. A caller's word that the user said yes is worth
nothing: an agent under an attacker's influence says it as easily as a person. What counts is a
token the router issued with its own `confirm` verdict, bound to the tenant, session, agent and
the exact action it judged, expiring, and accepted once.

Tokens are signed with an HMAC key: `AGENT_ROUTER_SECRET` from the environment when set (so
replicas agree on signatures), else a key drawn at start (tokens then die with the process).
A used token is marked in Redis (`SET NX` with the token's expiry) where `state.redis_url` is
configured, so it is one-time across replicas; else in this process until it expires. When
Redis does not answer, the token is refused (fail closed): a challenge that cannot be marked
used could be replayed on another replica, and the caller can ask again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

SECRET_ENV = "AGENT_ROUTER_SECRET"


@dataclass(frozen=True)
class Binding:
    """What a challenge is for: who asked, in which session, under which agent's policy, and
    the digest of the action (safety/actions.py action_digest)."""

    tenant: str
    session_id: str | None
    agent_id: str | None
    action: str

    def message(self, payload: bytes) -> bytes:
        fields = [self.tenant, self.session_id or "", self.agent_id or "", self.action]
        return payload + b"\x00" + "\x00".join(fields).encode()


@dataclass(frozen=True)
class Challenge:
    token: str
    expires_at: float  # unix seconds


class Challenges:
    def __init__(self, ttl_s: float, secret: bytes | None = None, *, clock: Callable[[], float] = time.time):
        self.ttl_s = ttl_s
        self._key = secret or secrets.token_bytes(32)
        self._clock = clock
        self._used: dict[str, float] = {}  # nonce -> expiry
        self._lock = threading.Lock()
        self.redis: Redis | None = None  # set by App.start where state.redis_url is configured
        self.key_prefix = "agent-router:"  # state.key_prefix

    @classmethod
    def configured(cls, ttl_s: float) -> Challenges:
        secret = os.environ.get(SECRET_ENV)
        return cls(ttl_s, secret.encode() if secret else None)

    def issue(self, binding: Binding) -> Challenge:
        expires = self._clock() + self.ttl_s
        payload = _b64(json.dumps({"n": secrets.token_hex(12), "e": round(expires, 3)}).encode())
        return Challenge(f"{payload}.{self._sign(payload, binding)}", expires)

    async def redeem(self, token: str, binding: Binding) -> str | None:
        """None when the token confirms this action (and it is used up); else why it does not."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload, binding)):
            return "the challenge was not issued for this action, session, agent and tenant"
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            nonce, expires = str(claims["n"]), float(claims["e"])
        except (ValueError, KeyError, TypeError):
            return "the challenge cannot be read"
        now = self._clock()
        if expires <= now:
            return "the challenge has expired"
        if self.redis is not None:
            return await self._mark_shared(self.redis, nonce, expires)
        with self._lock:
            self._used = {n: e for n, e in self._used.items() if e > now}
            if nonce in self._used:
                return "the challenge was already used"
            self._used[nonce] = expires
        return None

    async def _mark_shared(self, redis: Redis, nonce: str, expires: float) -> str | None:
        try:
            fresh = await redis.set(
                f"{self.key_prefix}challenge-used:{nonce}", b"1", nx=True, pxat=int(expires * 1000) + 1
            )
        except Exception as exc:  # noqa: BLE001 - any Redis failure: fail closed, see the module
            return f"the challenge cannot be marked used right now ({exc.__class__.__name__}); ask again"
        return None if fresh else "the challenge was already used"

    def _sign(self, payload: str, binding: Binding) -> str:
        return _b64(hmac.new(self._key, binding.message(payload.encode()), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
