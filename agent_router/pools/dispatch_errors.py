"""Why a turn could not be dispatched: the DispatchError branch of agent_router.errors' tree."""

from __future__ import annotations

from ..errors import RouterError
from .results import Attempt


class DispatchError(RouterError):
    """No model answered the turn."""


class NoEndpoint(DispatchError):
    """None of the models asked for is served by any endpoint in the config."""

    def __init__(self, models: list[str]):
        self.models = models
        super().__init__(
            f"no endpoint serves {', '.join(repr(m) for m in models)}: give the "
            "model an endpoint (pools[].endpoints, or models[].endpoint)"
        )


class DispatchFailed(DispatchError):
    """Every candidate failed; the attempts say which endpoint failed how."""

    def __init__(self, attempts: list[Attempt], notes: list[str]):
        self.attempts = attempts
        self.notes = notes
        tried = (
            "; ".join(f"{a.endpoint} ({a.model}): {a.outcome} {a.detail}".strip() for a in attempts)
            or "no endpoint was available"
        )
        super().__init__(f"no endpoint answered: {tried}")
