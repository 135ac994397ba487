"""Answering a turn through the model pools: routed (or a model forced), sent to the best
endpoint that can answer now, and recorded with its answer or its failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..app import App
from ..errors import InputError, NotConfigured
from ..memory import ANSWER_SUFFIX
from ..pools import Attempt, Dispatcher, DispatchError, DispatchOutcome, NoEndpoint
from ..routing import Constraints, RoutingDecision
from ..safety.redaction import redact_value
from ..trust import Integrity
from ..turns import ChatMessage
from .caller import Caller
from .ids import check_ids, key_of
from .learning import deferred_outcomes, dispatch_outcomes, learn_from_dispatch
from .recorder import Recorder
from .results import TurnAnswer
from .routing import record_decided, record_turn, route_turn
from .tenant_models import allowed_models, check_model
from .turn import Turn


@dataclass(frozen=True)
class DispatchPlan:
    """What a turn will be sent to, decided before anything is sent (a caller that streams
    says which route and model before the first token). `record` stores the turn with what
    decided it; None without a session. The caller awaits it before the turn's other writes.
    `session_key`: the session as its tenant stores it, which keeps its endpoint affinity;
    `tenant`: whose model choice learns from how the dispatch went."""

    models: list[str]
    route: str | None
    decision: RoutingDecision | None
    record: Callable[[], Awaitable[str]] | None
    session_key: str | None
    tenant: str


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
    plan = await plan_dispatch(
        app,
        turn,
        caller,
        session_id=session_id,
        turn_id=turn_id,
        model=model,
        constraints=constraints,
        max_tokens=max_tokens,
    )
    note = await plan.record() if plan.record is not None else None
    try:
        outcome = await send_planned(
            app,
            plan,
            [m.model_dump(mode="json", exclude_none=True) for m in turn.messages],
            latency_budget_ms=latency_budget_ms,
            on_delta=on_delta,
            max_tokens=max_tokens,
        )
    except DispatchError as exc:
        raise await record_failure(app, exc, caller, session_id=session_id, turn_id=turn_id) from exc
    answer = ChatMessage(role="assistant", content=outcome.answer)
    recorded = await record_answer(app, outcome, answer, caller, session_id=session_id, turn_id=turn_id)
    note = f"{note}; {recorded}" if recorded and note else note
    return TurnAnswer(**outcome.model_dump(), decision=plan.decision, memory=note)


async def plan_dispatch(
    app: App,
    turn: Turn,
    caller: Caller,
    *,
    session_id: str | None,
    turn_id: str | None,
    model: str | None = None,
    route: str | None = None,
    constraints: Constraints | None = None,
    max_tokens: int | None = None,
) -> DispatchPlan:
    """Routed as route_turn routes it, or sent to a forced `model`, or to a forced `route`'s
    models in order (its cascade applies); a forced turn is recorded as forced. Only the
    tenant's models, and only those that may write `max_tokens`."""
    pools = app.pools
    if pools is None:
        raise NotConfigured("model pools are off on this server")
    check_ids(session_id, turn_id, caller.agent_id)
    key = key_of(caller, session_id)
    allowed = allowed_models(app, caller)
    if model is None and route is None:
        _check_max_tokens(app, allowed or [m.name for m in app.config.models], max_tokens)
        decision = await route_turn(
            app, turn, caller, constraints=constraints, seed_turn=(session_id, turn_id)
        )
        models = _check_max_tokens(app, [decision.model, *decision.fallbacks], max_tokens)
        record = _recorder(app, turn, caller, decision, session_id, turn_id)
        return DispatchPlan(models, decision.route, decision, record, key, caller.tenant)
    forced: dict[str, Any] = {"forced": True}
    if route is not None:
        models = _route_models(app, route)
        if allowed is not None:
            kept = [m for m in models if m in allowed]
            if not kept:
                check_model(app, caller, models[0])  # raises, naming the tenant's models
            models = kept
        forced |= {"route": route, "models": models}
    else:
        assert model is not None
        _check_forced(app, pools, model)
        check_model(app, caller, model)
        models = [model]
        forced["model"] = model
    models = _check_max_tokens(app, models, max_tokens)
    record = _recorder(app, turn, caller, forced, session_id, turn_id)
    return DispatchPlan(models, route, None, record, key, caller.tenant)


def _recorder(
    app: App,
    turn: Turn,
    caller: Caller,
    decided: RoutingDecision | dict[str, Any],
    session_id: str | None,
    turn_id: str | None,
) -> Callable[[], Awaitable[str]] | None:
    if session_id is None:
        return None
    sid = session_id

    async def record() -> str:
        if isinstance(decided, RoutingDecision):
            return await record_decided(app, turn, decided, caller, session_id=sid, turn_id=turn_id)
        return await record_turn(app, turn, decided, caller, session_id=sid, turn_id=turn_id)

    return record


async def send_planned(
    app: App,
    plan: DispatchPlan,
    wire: list[dict[str, Any]],
    *,
    latency_budget_ms: float | None = None,
    on_delta: Callable[[str], Awaitable[None]] | None = None,
    max_tokens: int | None = None,
    options: dict[str, Any] | None = None,
    stream_once: bool = False,
    learn_later: bool = False,
) -> DispatchOutcome:
    """Send the messages `wire` as planned (the session keeps its endpoint where it can).
    Raises DispatchError; record_failure keeps it beside the turn. What the dispatch teaches
    the route's model choice is stored before this returns, or with `learn_later` after it,
    gathered with other calls' (a model call in the path answers first: storing its outcomes
    alone cost about as much as the router's whole routing)."""
    assert app.pools is not None  # plan_dispatch checked
    try:
        outcome = await app.pools.dispatch(
            wire,
            plan.models,
            route=plan.route,
            session_id=plan.session_key,
            budget_ms=latency_budget_ms,
            on_delta=on_delta,
            max_tokens=max_tokens,
            options=options,
            stream_once=stream_once,
        )
    except DispatchError as exc:
        app.metrics.error("no_endpoint" if isinstance(exc, NoEndpoint) else "dispatch_failed")
        await _learn(app, plan, None, getattr(exc, "attempts", []), latency_budget_ms, later=learn_later)
        raise
    app.metrics.dispatched(outcome.model, outcome.total_ms, outcome.ttft_ms)
    await _learn(app, plan, outcome, outcome.attempts, latency_budget_ms, later=learn_later)
    return outcome


async def _learn(
    app: App,
    plan: DispatchPlan,
    answered: DispatchOutcome | None,
    attempts: list[Attempt],
    budget_ms: float | None,
    *,
    later: bool,
) -> None:
    """How the dispatch of a turn on a route went teaches that route's model choice."""
    if plan.route is None:
        return
    constraints = plan.decision.signals.constraints if plan.decision is not None else None
    outcomes = dispatch_outcomes(
        plan.tenant,
        plan.route,
        answered=answered,
        attempts=attempts,
        constraints=constraints,
        budget_ms=budget_ms,
    )
    if later:
        deferred_outcomes.add(app, outcomes)
    else:
        await learn_from_dispatch(app, outcomes)


async def record_failure(
    app: App, exc: DispatchError, caller: Caller, *, session_id: str | None, turn_id: str | None
) -> DispatchError:
    """Keep the failure beside the recorded turn: a failed turn is never lost. Returns the error
    to raise, whose text says whether it was kept."""
    kept = await _record_outcome(app, caller, session_id, turn_id, None, str(exc))
    suffix = (
        f" (the turn is recorded in session {session_id!r} with this failure)"
        if kept == "outcome recorded"
        else ""
    )
    return DispatchError(f"{exc}{suffix}")


async def record_answer(
    app: App,
    outcome: DispatchOutcome,
    answer: ChatMessage,
    caller: Caller,
    *,
    session_id: str | None,
    turn_id: str | None,
) -> str | None:
    """Keep the outcome beside the turn, with `answer` (the assistant message as the agent got
    it) as the session's next message."""
    result: dict[str, Any] = {
        "model": outcome.model,
        "endpoint": outcome.endpoint,
        "answer": outcome.answer,
        "ttft_ms": outcome.ttft_ms,
        "total_ms": outcome.total_ms,
    }
    if outcome.tool_calls:
        result["tool_calls"] = outcome.tool_calls
    return await _record_outcome(app, caller, session_id, turn_id, result, None, answer)


def _route_models(app: App, route: str) -> list[str]:
    for spec in app.config.routes:
        if spec.name == route:
            return list(spec.models)
    known = ", ".join(sorted(r.name for r in app.config.routes)) or "(none configured)"
    raise InputError.single("model", f"unknown route {route!r}; known routes: {known}")


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
    message: ChatMessage | None = None,
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
    if result is not None and message is not None:
        answer = Turn([message], [])
        try:
            note = await record_turn(
                app,
                answer,
                {"model": result["model"], "endpoint": result["endpoint"]},
                caller,
                session_id=session_id,
                turn_id=turn_id + ANSWER_SUFFIX if turn_id else None,
                integrity=Integrity.known,
            )
        except InputError as exc:  # the answer's own turn id is too long to keep
            return f"outcome not recorded: {exc}"
        if note.startswith("not recorded"):
            return f"outcome {note}"
    return "outcome recorded"
