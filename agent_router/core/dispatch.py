"""Answering a turn through the model pools: routed (or a model forced), sent to the best
endpoint that can answer now, and recorded with its answer or its failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..app import App
from ..errors import InputError, NotConfigured
from ..pools import Dispatcher, DispatchError, NoEndpoint
from ..routing import Constraints, RoutingDecision
from ..safety.redaction import redact_value
from ..trust import Integrity
from ..turns import ChatMessage
from .caller import Caller
from .ids import check_ids, key_of
from .recorder import Recorder
from .results import TurnAnswer
from .routing import record_turn, route_turn
from .tenant_models import allowed_models, check_model
from .turn import Turn


async def dispatch_turn(
    app: App,
    turn: Turn,
    caller: Caller,
    *,
    session_id: str | None = None,
    turn_id: str | None = None,
    model: str | None = None,
    constraints: Constraints | None = None,
    latency_budget_ms: float | None = None,
    on_delta: Callable[[str], Awaitable[None]] | None = None,
    max_tokens: int | None = None,
) -> TurnAnswer:
    """Route the turn unless `model` forces one, dispatch it and record the outcome. A turn no
    endpoint could answer raises DispatchError, whose text says whether the turn was kept with
    the failure. Only models the caller's tenant may use answer, and `max_tokens` may not be
    above the answering model's max_output_tokens."""
    pools = app.pools
    if pools is None:
        raise NotConfigured("model pools are off on this server")
    check_ids(session_id, turn_id, caller.agent_id)
    key = key_of(caller, session_id)
    decision: RoutingDecision | None = None
    if model is not None:
        _check_forced(app, pools, model)
        check_model(app, caller, model)
        _check_max_tokens(app, [model], max_tokens)
        models, route = [model], None
        note = None
        if session_id is not None:
            note = await record_turn(
                app, turn, {"model": model, "forced": True}, caller, session_id=session_id, turn_id=turn_id
            )
    else:
        _check_max_tokens(app, allowed_models(app, caller) or [m.name for m in app.config.models], max_tokens)
        decision = await route_turn(
            app, turn, caller, session_id=session_id, turn_id=turn_id, constraints=constraints
        )
        models, route, note = [decision.model, *decision.fallbacks], decision.route, decision.memory
        models = _check_max_tokens(app, models, max_tokens)
    wire = [m.model_dump(mode="json", exclude_none=True) for m in turn.messages]
    try:
        outcome = await pools.dispatch(
            wire,
            models,
            route=route,
            session_id=key,
            budget_ms=latency_budget_ms,
            on_delta=on_delta,
            max_tokens=max_tokens,
        )
    except DispatchError as exc:
        app.metrics.error("no_endpoint" if isinstance(exc, NoEndpoint) else "dispatch_failed")
        kept = await _record_outcome(app, caller, session_id, turn_id, None, str(exc))
        suffix = (
            f" (the turn is recorded in session {session_id!r} with this failure)"
            if kept == "outcome recorded"
            else ""
        )
        raise DispatchError(f"{exc}{suffix}") from exc
    app.metrics.dispatched(outcome.model, outcome.total_ms, outcome.ttft_ms)
    answer = {
        "model": outcome.model,
        "endpoint": outcome.endpoint,
        "answer": outcome.answer,
        "ttft_ms": outcome.ttft_ms,
        "total_ms": outcome.total_ms,
    }
    recorded = await _record_outcome(app, caller, session_id, turn_id, answer, None)
    if recorded and note:
        note = f"{note}; {recorded}"
    return TurnAnswer(**outcome.model_dump(), decision=decision, memory=note)


def _check_forced(app: App, pools: Dispatcher, model: str) -> None:
    known = {m.name for m in app.config.models}
    if model not in known:
        raise InputError.single("model", f"unknown model {model!r}; known models: {', '.join(sorted(known))}")
    if not pools.dispatchable(model):
        raise InputError.single(
            "model",
            f"model {model!r} has no endpoint; give it one in pools[].endpoints or models[].endpoint",
        )


def _check_max_tokens(app: App, models: list[str], max_tokens: int | None) -> list[str]:
    """The models, in order, that may write max_tokens tokens; an InputError naming the first
    model's maximum when none may."""
    if max_tokens is None:
        return models
    able = [m for m in models if app.config.model(m).max_output_tokens >= max_tokens]
    if not able:
        first = app.config.model(models[0])
        others = " (nor any other model it could go to)" if len(models) > 1 else ""
        raise InputError.single(
            "max_tokens",
            f"{max_tokens} is above the maximum of model {first.name!r}{others}: "
            f"its max_output_tokens is {first.max_output_tokens}",
        )
    return able


async def _record_outcome(
    app: App,
    caller: Caller,
    session_id: str | None,
    turn_id: str | None,
    result: dict[str, Any] | None,
    error: str | None,
) -> str | None:
    """The answer, or the failure, beside the recorded turn: a failed turn is never lost. An
    answer also becomes the session's next assistant message, so get_context carries it; the
    model is a known party, not the owner, so it is stored at the known level."""
    if session_id is None:
        return None
    key = key_of(caller, session_id)
    recorder = Recorder(app)
    stored, _ = redact_value(result)
    call = await recorder.attempt(
        f"record the dispatch outcome in session {session_id!r}",
        lambda memory: memory.record_tool_call(
            key, "agent-router", "dispatch_turn", {"turn_id": turn_id}, result=stored, error=error
        ),
    )
    if not call.ok:
        return f"outcome not recorded: {call.failure}"
    if result is not None:
        answer = Turn([ChatMessage(role="assistant", content=result["answer"])], [])
        try:
            note = await record_turn(
                app,
                answer,
                {"model": result["model"], "endpoint": result["endpoint"]},
                caller,
                session_id=session_id,
                turn_id=f"{turn_id}.answer" if turn_id else None,
                integrity=Integrity.known,
            )
        except InputError as exc:  # the answer's own turn id is too long to keep
            return f"outcome not recorded: {exc}"
        if note.startswith("not recorded"):
            return f"outcome {note}"
    return "outcome recorded"
