"""The TokenVerifier of API keys (mode `keys`): a bearer secret is hashed and looked up in the
memory database the running App holds, and a key found is trusted for key_cache_seconds, so a
busy agent costs one SQL read per key and interval rather than one per request."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from mcp.server.auth.provider import AccessToken

from ..memory import MemoryUnavailable
from ..memory.keys import ApiKeys
from .claims import identity_claims

log = logging.getLogger("agent_router.auth")

MAX_CACHED = 10_000  # distinct live keys remembered; beyond it the cache starts over


class KeyVerifier:
    """`keys()` gives the ApiKeys of the App's memory store, None before the App has started or
    when memory is off: the verifier is built with the server, the store opens in its lifespan,
    and requests arrive only after that."""

    def __init__(
        self,
        keys: Callable[[], ApiKeys | None],
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._keys = keys
        self._cache_seconds = cache_seconds
        self._clock = clock
        # By the secret's digest, so no secret sits in a dict key a heap dump would show first.
        self._verified: dict[str, tuple[float, AccessToken]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        now = self._clock()
        cached = self._verified.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        keys = self._keys()
        if keys is None:
            return None
        try:
            info = await keys.verify(token)
        except MemoryUnavailable as exc:
            log.error("API key not checked, the memory database failed: %s", exc)
            return None
        if info is None:
            self._verified.pop(digest, None)
            return None
        access = AccessToken(
            token=token,
            client_id=info.id,
            subject=info.id,
            scopes=[],
            claims=identity_claims(info.tenant, info.role, info.agent_id),
        )
        if self._cache_seconds > 0:
            if len(self._verified) >= MAX_CACHED:
                self._verified.clear()
            self._verified[digest] = (now + self._cache_seconds, access)
        return access
