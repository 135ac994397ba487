"""The signing keys of the authorization server: a JWKS file read at start, or a JWKS URL
fetched at start and again when a token names a key id not seen yet (the issuer rotated its
keys). Refetches are spaced out, so tokens with made-up key ids cannot make the server hammer
the issuer. Only the operator's config names the file or URL, never a caller."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import jwt

from ..config import ConfigError, ConfigIssue

log = logging.getLogger("agent_router.auth")

REFETCH_EVERY_S = 30.0  # the soonest an unknown kid fetches the JWKS URL again


class JwksKeys:
    def __init__(
        self,
        keys: jwt.PyJWKSet | None,
        *,
        url: str | None = None,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._keys = keys
        self._url = url
        self._timeout_s = timeout_s
        self._clock = clock
        self._fetched_at = clock() if keys is not None else float("-inf")
        self._lock = anyio.Lock()

    @classmethod
    def from_file(cls, path: Path) -> JwksKeys:
        """Raises ConfigError naming auth.jwks_file when the file is missing or no JWKS."""
        try:
            return cls(jwt.PyJWKSet.from_json(path.expanduser().read_text()))
        except OSError as exc:
            problem = f"cannot read {path}: {exc.strerror}"
        except (ValueError, jwt.PyJWTError) as exc:
            problem = f"{path} is not a JWKS with usable keys: {exc}"
        raise ConfigError([ConfigIssue("auth.jwks_file", problem)])

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> JwksKeys:
        """Fetched now; an issuer that is down at start is asked again on the first token."""
        keys = cls(None, url=url, timeout_s=timeout_s, clock=clock)
        try:
            keys._keys = _parse(httpx.get(url, timeout=timeout_s, follow_redirects=False))
            keys._fetched_at = keys._clock()
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.error("JWKS not fetched from %s at start, retried on the first token: %s", url, exc)
        return keys

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key of this id; with no id, the one key when the set has exactly one."""
        found = self._find(kid)
        if found is None and self._url is not None and self._clock() - self._fetched_at >= REFETCH_EVERY_S:
            async with self._lock:
                if self._clock() - self._fetched_at >= REFETCH_EVERY_S:
                    await self._refetch()
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if self._keys is None:
            return None
        if kid is None:
            return self._keys.keys[0] if len(self._keys.keys) == 1 else None
        return next((k for k in self._keys.keys if k.key_id == kid), None)

    async def _refetch(self) -> None:
        assert self._url is not None
        self._fetched_at = self._clock()
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client:
                self._keys = _parse(await client.get(self._url))
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.error("JWKS not fetched from %s: %s", self._url, exc)


def _parse(response: httpx.Response) -> jwt.PyJWKSet:
    response.raise_for_status()
    return jwt.PyJWKSet.from_dict(json.loads(response.content))
