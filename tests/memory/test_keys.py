"""API keys in the memory database, on SQLite and PostgreSQL: only the secret's SHA-256 is
stored, a key verifies until it is revoked, and tenants, roles and agent ids are checked."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from agent_router.errors import InputError
from agent_router.memory import MemoryStore
from agent_router.memory.schema import ApiKeyRow
from agent_router.tenancy import Role


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def test_a_created_key_verifies_and_stores_only_its_digest(store: MemoryStore) -> None:
    name = tenant()
    info, secret = await store.keys.create(name, "operator", agent_id="bot-1", name="ci runner")
    assert secret.startswith(f"ark_{info.id}_") and len(secret) > 50
    assert (info.tenant, info.role, info.agent_id, info.name) == (name, Role.operator, "bot-1", "ci runner")
    verified = await store.keys.verify(secret)
    assert verified is not None and verified.id == info.id and verified.role == Role.operator
    async with store.database.read() as db:
        row = await db.scalar(select(ApiKeyRow).where(ApiKeyRow.id == info.id))
    assert row is not None
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.digest, row.id, row.name}


async def test_unknown_and_revoked_keys_do_not_verify(store: MemoryStore) -> None:
    info, secret = await store.keys.create(tenant())
    assert await store.keys.verify(secret + "x") is None
    assert await store.keys.verify("not-a-key") is None
    revoked = await store.keys.revoke(info.id)
    assert revoked.revoked_at is not None
    assert await store.keys.verify(secret) is None
    again = await store.keys.revoke(info.id)  # revoking twice keeps the first time
    assert again.revoked_at == revoked.revoked_at


async def test_list_shows_a_tenants_keys_with_their_state(store: MemoryStore) -> None:
    name, other = tenant(), tenant()
    first, _ = await store.keys.create(name, name="first")
    second, _ = await store.keys.create(name, "admin", name="second")
    await store.keys.create(other)
    await store.keys.revoke(first.id)
    listed = await store.keys.list(name)
    assert [k.id for k in listed] == [first.id, second.id]
    assert listed[0].revoked_at is not None and listed[1].revoked_at is None
    assert {k.tenant for k in await store.keys.list()} >= {name, other}


@pytest.mark.parametrize(
    ("tenant_name", "role", "agent_id", "field"),
    [
        ("bad tenant", "agent", None, "tenant"),
        ("-leading-dash", "agent", None, "tenant"),
        ("acme", "root", None, "role"),
        ("acme", "agent", "has spaces", "agent_id"),
    ],
)
async def test_bad_input_names_its_field(
    store: MemoryStore, tenant_name: str, role: str, agent_id: str | None, field: str
) -> None:
    with pytest.raises(InputError) as raised:
        await store.keys.create(tenant_name, role, agent_id=agent_id)
    assert raised.value.problems[0][0] == field


async def test_revoking_an_unknown_key_names_the_id(store: MemoryStore) -> None:
    with pytest.raises(InputError) as raised:
        await store.keys.revoke("no-such-key")
    assert raised.value.problems[0][0] == "id"
