"""The models a tenant may use (config `tenants.NAME.models`): a route decision picks only
those, and dispatch refuses any other. A limit of the tenant, not a target of the caller, so
unlike a caller's constraints it is never relaxed when nothing else fits."""

from __future__ import annotations

from ..app import App
from ..errors import InputError
from ..routing import RoutingDecision
from .caller import Caller


def allowed_models(app: App, caller: Caller) -> list[str] | None:
    """The tenant's models in config order, or None when it may use every model."""
    spec = app.config.tenants.get(caller.tenant)
    if spec is None or spec.models is None:
        return None
    return [m.name for m in app.config.models if m.name in spec.models]


def check_model(app: App, caller: Caller, model: str, field: str = "model") -> None:
    allowed = allowed_models(app, caller)
    if allowed is not None and model not in allowed:
        raise InputError.single(field, _refusal(caller, model, allowed))


def within_tenant(app: App, caller: Caller, decision: RoutingDecision) -> RoutingDecision:
    """The decision with only the tenant's models: the router's order kept, other models moved
    to `rejected`; with none of its choices allowed, the first allowed model that takes the
    turn's modalities answers. A tenant with no such model gets an InputError."""
    allowed = allowed_models(app, caller)
    if allowed is None:
        return decision
    chosen = [m for m in [decision.model, *decision.fallbacks] if m in allowed]
    dropped = [m for m in [decision.model, *decision.fallbacks] if m not in allowed]
    if not chosen:
        needs = set(decision.signals.modalities)
        chosen = [m for m in allowed if app.config.model(m).accepts(needs)]
        if not chosen:
            raise InputError.single(
                "messages",
                f"tenant {caller.tenant!r} may use only {', '.join(allowed) or 'no model'} "
                f"(tenants.{caller.tenant}.models), and none of them takes this turn's "
                f"{' and '.join(sorted(needs))}",
            )
    if not dropped:
        return decision
    for model in dropped:
        decision.rejected[model] = f"tenant {caller.tenant!r} may not use it (tenants.{caller.tenant}.models)"
    decision.reasons.append(
        f"tenant {caller.tenant!r} may use only {', '.join(allowed)}: left out {', '.join(dropped)}"
    )
    decision.model, decision.fallbacks = chosen[0], chosen[1 : 1 + app.config.defaults.max_fallbacks]
    return decision


def _refusal(caller: Caller, model: str, allowed: list[str]) -> str:
    return (
        f"tenant {caller.tenant!r} may not use model {model!r}; its models are "
        f"{', '.join(allowed) or 'none'} (tenants.{caller.tenant}.models)"
    )
