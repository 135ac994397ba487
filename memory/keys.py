"""API keys of tenants, for teams without an identity provider. The secret is shown once, when
the key is made; the database keeps only its SHA-256, so a copy of the database (a backup, a
replica) gives no working key, and a key is found by its digest with one indexed read."""

from __future__ import annotations

import builtins
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..errors import InputError
from ..tenancy import Role, check_role, check_tenant
from .database import Database
from .ids import check_id
from .schema import ApiKeyRow, utcnow

PREFIX = "ark_"  # agent-router key: lets a secret scanner, or a person, tell what leaked


@dataclass(frozen=True)
class KeyInfo:
    """What a key proves, never its secret."""

    id: str
    tenant: str
    role: Role
    agent_id: str | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None = None


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(row.id, row.tenant, Role(row.role), row.agent_id, row.name, row.created_at, row.revoked_at)


class ApiKeys:
    """The api_keys table over a store's Database (every driver error is MemoryUnavailable)."""

    def __init__(self, database: Database):
        self.database = database

    async def create(
        self,
        tenant: str,
        role: str = Role.agent,
        *,
        agent_id: str | None = None,
        name: str | None = None,
    ) -> tuple[KeyInfo, str]:
        """A new key and its secret, which is not stored and cannot be shown again."""
        check_tenant(tenant)
        checked_role = check_role(role)
        check_id(agent_id, "agent_id")
        if name is not None and len(name) > 200:
            raise InputError.single("name", "use at most 200 characters")
        key_id = secrets.token_hex(8)
        secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            id=key_id,
            digest=digest_of(secret),
            tenant=tenant,
            role=checked_role.value,
            agent_id=agent_id,
            name=name,
            created_at=utcnow(),
        )
        async with self.database.write() as db:
            db.add(row)
        return _info(row), secret

    async def verify(self, secret: str) -> KeyInfo | None:
        """The key this secret is, unless it is unknown or revoked. The digest is the lookup,
        so no comparison of secrets happens that could leak their bytes by timing."""
        if not secret.startswith(PREFIX):
            return None
        async with self.database.read() as db:
            row = await db.scalar(
                select(ApiKeyRow).where(ApiKeyRow.digest == digest_of(secret), ApiKeyRow.revoked_at.is_(None))
            )
        return None if row is None else _info(row)

    async def list(self, tenant: str | None = None) -> builtins.list[KeyInfo]:
        """Keys, revoked ones included, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if tenant is not None:
            query = query.where(ApiKeyRow.tenant == check_tenant(tenant))
        async with self.database.read() as db:
            return [_info(row) for row in await db.scalars(query)]

    async def revoke(self, key_id: str) -> KeyInfo:
        """Mark the key revoked (kept for the record); servers refuse it once their cache of
        verified keys (auth.key_cache_seconds) has expired."""
        async with self.database.write() as db:
            row = await db.get(ApiKeyRow, key_id)
            if row is None:
                raise InputError.single("id", f"no key {key_id!r}; see `agent-router keys list`")
            if row.revoked_at is None:
                await db.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked_at=utcnow()))
                await db.refresh(row)
            return _info(row)
