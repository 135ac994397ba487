"""Re-deciding recorded sessions under a policy, offline: every routed turn goes through the
router, every tool selection through the tool index, every safety verdict through the checker,
and each is compared with what was recorded (or with a baseline policy). Nothing calls a
model unless a dispatcher is given. A turn that cannot be replayed gets its reason and the
rest of the session goes on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..core.caller import Caller
from ..core.routing import decide_route
from ..core.turn import Turn
from ..errors import InputError
from ..routing import Constraints, LearningInput, LearningRecord, RoutingDecision
from ..turns import ChatMessage, latest_user_text
from . import ahead
from .diff import ReplayItem, Side, changes, priced
from .policy import Policy
from .rebuild import routed_messages
from .selections import replay_selections
from .sessions import Problem, RecordedSession
from .text import short
from .verdicts import replay_verdict

CONCURRENT_TURNS = 64  # routed (and dispatched) at once


@dataclass
class ReplayOptions:
    output_tokens: int = 256  # assumed answer length for the cost estimate
    dispatcher: Any = None  # a started pools Dispatcher: re-send turns and keep the answers


async def replay_sessions(
    sessions: list[RecordedSession],
    new: Policy,
    baseline: Policy | None = None,
    options: ReplayOptions | None = None,
) -> list[list[ReplayItem]]:
    """Per session, items in order: the routed turns, then tool selections, then verdicts.
    The routed turns of all sessions go through the router together (their texts encoded
    ahead in batches); selections and verdicts then follow session by session. Problems of a
    session as a whole (lines skipped, an older schema) stay on `session.problems`."""
    options = options or ReplayOptions()
    prepared = [_prepare(session, baseline) for session in sessions]
    await _route_all(
        [t for turns in prepared for t in turns if t.messages is not None], new, baseline, options
    )
    results = []
    for session, turns in zip(sessions, prepared, strict=True):
        items = [t.item for t in turns]
        attach_answers(items, session)
        items += await replay_selections(session, new, baseline)
        items += [
            await replay_verdict(session, v, i, new, baseline) for i, v in enumerate(session.verdicts, 1)
        ]
        results.append(items)
    return results


# ---- routed turns ------------------------------------------------------------------------


@dataclass
class _Turn:
    item: ReplayItem
    messages: list[ChatMessage] | None
    recorded: dict[str, Any] | None


def _routed(decision: dict[str, Any] | None) -> bool:
    """Whether a recorded turn went through the router. dispatch_turn also stores turns that
    did not: the model's answer (the model and the endpoint that answered it) and a turn whose
    model the caller forced. Those are history for the turns after them, not decisions."""
    if not isinstance(decision, dict):
        return True  # a turn recorded without its decision is reported as such
    return not decision.get("forced") and not ("endpoint" in decision and "route" not in decision)


def _prepare(session: RecordedSession, baseline: Policy | None) -> list[_Turn]:
    """The routed turns with the messages the router saw, rebuilt from the stored rows."""
    history: list[ChatMessage] = []
    turns: list[_Turn] = []
    for turn in session.turns:
        item = ReplayItem(
            session_id=session.id,
            kind="route",
            index=len(turns) + 1,
            turn_id=turn.turn_id,
            before_label="baseline" if baseline else "recorded",
        )
        try:
            seen, own = routed_messages(history, turn.messages, turn.decision, session.blobs, turn.where)
            history += own
            item.text = short(latest_user_text(seen))
        except InputError as exc:
            item.problems.append(f"cannot rebuild the turn: {exc}; skipped")
            seen = None
        if _routed(turn.decision):
            turns.append(_Turn(item, seen, turn.decision))
        elif item.problems:  # not a decision, but the turns after it miss its messages
            session.problems += [Problem(turn.where, p) for p in item.problems]
    return turns


async def _route_all(
    turns: list[_Turn], new: Policy, baseline: Policy | None, options: ReplayOptions
) -> None:
    """A window of turns at a time: their texts encoded ahead, then the turns routed (and
    dispatched) concurrently, every vector found in the cache."""
    encoder = new.router.encoders.text
    encodes = any(len(p.router.index.matrix) for p in (new, baseline) if p is not None)
    size = ahead.window(encoder) if encodes else 0
    gate = asyncio.Semaphore(CONCURRENT_TURNS)

    async def one(t: _Turn) -> None:
        async with gate:
            await _route_turn(t, new, baseline, options)

    step = size or max(1, len(turns))
    for start in range(0, len(turns), step):
        chunk = turns[start : start + step]
        if size:
            await ahead.encode_ahead(encoder, [latest_user_text(t.messages or []) for t in chunk])
        await asyncio.gather(*(one(t) for t in chunk))


async def _route_turn(t: _Turn, new: Policy, baseline: Policy | None, options: ReplayOptions) -> None:
    item, messages = t.item, t.messages
    assert messages is not None
    constraints = _constraints(t.recorded, item)
    learned = _learned(t.recorded, item)
    after = await _decide(new, messages, constraints, item, learned)
    if after is None:
        return
    before: Side | None
    before_json: dict[str, Any] | None
    if baseline is not None:
        decided = await _decide(baseline, messages, constraints, item, learned)
        before_json = decided.model_dump(mode="json") if decided else None
        before = _route_side(before_json, baseline, options, item) if before_json else None
    else:
        before_json = t.recorded
        before = _route_side(before_json, new, options, item) if before_json else None
        if before_json is None:
            item.problems.append("no decision was recorded for this turn: nothing to compare")
    after_json = after.model_dump(mode="json")
    item.after = _route_side(after_json, new, options, item, priced_only=True)
    item.before = before
    item.changed = changes("route", before, item.after)
    item.exact = _same_decision(before_json, after_json) if before_json else None
    if "model" in item.changed and before_json is not None:
        item.why = [
            f"{item.before_label}: {_learning_reason(before_json)}",
            f"replayed: {_learning_reason(after_json)}",
        ]
    if options.dispatcher is not None:
        await _dispatch(options.dispatcher, messages, after, item)


def _constraints(recorded: dict[str, Any] | None, item: ReplayItem) -> Constraints | None:
    raw = ((recorded or {}).get("signals") or {}).get("constraints")
    if raw is None:
        return None
    try:
        return Constraints.model_validate(raw)
    except ValueError:
        item.problems.append("the recorded constraints cannot be read; replayed without them")
        return None


def _learned(recorded: dict[str, Any] | None, item: ReplayItem) -> LearningInput | None:
    """The outcomes and seed the recorded decision sampled with: every policy replays with the
    state that held when the turn was recorded, not with today's (a route the recording has no
    outcomes for keeps its configured order)."""
    raw = (recorded or {}).get("learning")
    if raw is None:
        return None
    try:
        return LearningInput.recorded(LearningRecord.model_validate(raw))
    except ValueError:
        item.problems.append("the recorded learning state cannot be read; replayed without it")
        return None


async def _decide(
    policy: Policy,
    messages: list[ChatMessage],
    constraints: Constraints | None,
    item: ReplayItem,
    learned: LearningInput | None,
) -> RoutingDecision | None:
    """Through the very code route_turn decides with. Recorded images are stored bytes, never
    paths: the replay reads no server file (a caller that is not local)."""
    try:
        turn = Turn.parse(messages, policy.config.limits, Caller(local=False))
        return await decide_route(policy.router, turn, constraints, learned)
    except InputError as exc:
        item.problems.append(f"the {policy.label} config cannot route this turn: {exc}")
        return None


def _route_side(
    decision: dict[str, Any],
    policy: Policy,
    options: ReplayOptions,
    item: ReplayItem,
    priced_only: bool = False,
) -> Side:
    """A decision as a Side, priced with `policy`'s models. An older recording may lack
    fields, and the config may no longer have the model: each is a note, not a stop."""
    model = decision.get("model")
    signals = decision.get("signals") or {}
    tokens = signals.get("prompt_tokens")
    if not priced_only:
        if model is None:
            item.problems.append("the recorded decision names no model (older schema)")
        if tokens is None:
            item.problems.append(
                "the recorded decision has no prompt size (older schema): its cost is unknown"
            )
    side = Side(
        model=model,
        route=decision.get("route"),
        fallbacks=list(decision.get("fallbacks") or []),
        confidence=decision.get("confidence"),
        prompt_tokens=tokens,
    )
    spec = policy.model(model)
    if spec is None and model is not None:
        item.problems.append(
            f"model {model!r} is not in the {policy.label} config: its cost and latency are unknown"
        )
    return priced(spec, tokens, options.output_tokens, side)


def _learning_reason(decision: dict[str, Any]) -> str:
    """What learning from outcomes did with a decision, in its own words."""
    said = [r for r in decision.get("reasons") or [] if isinstance(r, str) and r.startswith("learning: ")]
    return said[0] if said else "learning: no outcomes sampled (none for the route, or learning off)"


IGNORED_DECISION_FIELDS = ("memory", "config_digest")


def _same_decision(before: dict[str, Any], after: dict[str, Any]) -> bool:
    def strip(d: dict[str, Any]) -> dict[str, Any]:
        # A decision recorded before learning existed has no `learning`: the same as none.
        kept = {k: v for k, v in d.items() if k not in IGNORED_DECISION_FIELDS}
        if kept.get("learning") is None:
            kept.pop("learning", None)
        kept["reasons"] = [r for r in d.get("reasons") or [] if not r.startswith("memory: ")]
        return kept

    return strip(before) == strip(after)


async def _dispatch(
    dispatcher: Any, messages: list[ChatMessage], decision: RoutingDecision, item: ReplayItem
) -> None:
    """Re-send the turn to the live pools; the answer goes beside the recorded one."""
    from ..pools import DispatchFailed, NoEndpoint

    payload = [m.model_dump(mode="json", exclude_none=True) for m in messages]
    models = [decision.model, *decision.fallbacks]
    try:
        outcome = await dispatcher.dispatch(payload, models, route=decision.route)
    except (NoEndpoint, DispatchFailed) as exc:
        item.problems.append(f"dispatch to {', '.join(models)} failed: {exc}")
        return
    assert item.after is not None
    item.after.answer = outcome.answer


def attach_answers(items: list[ReplayItem], session: RecordedSession) -> None:
    """Recorded answers (dispatch_turn results kept beside the turn) on the before side."""
    answers = {
        c.arguments.get("turn_id"): (c.result or {}).get("answer") or c.error
        for c in session.calls
        if (c.server, c.tool) == ("agent-router", "dispatch_turn")
    }
    for item in items:
        if item.kind == "route" and item.before is not None and item.turn_id in answers:
            item.before.answer = answers[item.turn_id]
