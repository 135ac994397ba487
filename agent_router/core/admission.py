"""Whether a call is let in at all, before any work: the tenant's request rate. The machine's
own user (stdio, the CLI, in process) is not limited; every caller over HTTP is, by tenant."""

from __future__ import annotations

from ..app import App
from .caller import Caller


async def admit(app: App, caller: Caller) -> None:
    """Raises RateLimited naming the limit when the caller's tenant is over its rate."""
    if not caller.local:
        await app.rates.admit(caller.tenant)
