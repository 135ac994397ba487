"""The API-key TokenVerifier over a real SQLite store: claims for surface/identity.py, the cache
that spares the database a read per request, and revocation once that cache has expired (the
clock is the verifier's own, stepped by the test: nothing here waits)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_router.auth import KeyVerifier
from agent_router.config import MemorySpec
from agent_router.memory import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    opened = await MemoryStore.open(MemorySpec(), url=f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    yield opened
    await opened.aclose()


async def test_a_key_becomes_an_access_token_with_its_identity(store: MemoryStore) -> None:
    info, secret = await store.keys.create("acme", "operator", agent_id="bot-1")
    verifier = KeyVerifier(lambda: store.keys, cache_seconds=5)
    token = await verifier.verify_token(secret)
    assert token is not None
    assert token.client_id == info.id
    assert token.claims == {"tenant": "acme", "role": "operator", "agent_id": "bot-1"}
    assert await verifier.verify_token(secret[:-2]) is None


async def test_a_revoked_key_works_until_the_cache_expires(store: MemoryStore) -> None:
    info, secret = await store.keys.create("acme")
    clock = Clock()
    verifier = KeyVerifier(lambda: store.keys, cache_seconds=5, clock=clock)
    assert await verifier.verify_token(secret) is not None
    await store.keys.revoke(info.id)
    clock.now += 4.9
    assert await verifier.verify_token(secret) is not None  # cached: no read
    clock.now += 0.2
    assert await verifier.verify_token(secret) is None
    clock.now += 10
    assert await verifier.verify_token(secret) is None


async def test_without_a_cache_revocation_is_immediate(store: MemoryStore) -> None:
    info, secret = await store.keys.create("acme")
    verifier = KeyVerifier(lambda: store.keys, cache_seconds=0)
    assert await verifier.verify_token(secret) is not None
    await store.keys.revoke(info.id)
    assert await verifier.verify_token(secret) is None


async def test_no_store_no_access(store: MemoryStore) -> None:
    """Before the App has opened memory (or with memory down) no key is accepted."""
    _, secret = await store.keys.create("acme")
    assert await KeyVerifier(lambda: None, cache_seconds=5).verify_token(secret) is None


async def test_a_database_that_fails_refuses_the_key(store: MemoryStore, tmp_path: Path) -> None:
    """MemoryUnavailable is a refusal (401), not a crash of the request."""
    _, secret = await store.keys.create("acme")
    for path in tmp_path.glob("keys.db*"):  # in place, with the WAL: as another program would
        with open(path, "r+b") as handle:
            handle.write(os.urandom(max(path.stat().st_size, 4096)))
    assert await KeyVerifier(lambda: store.keys, cache_seconds=5).verify_token(secret) is None
