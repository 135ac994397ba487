"""Routing a turn: the decision (pure, what replay re-runs) and the turn recorded with it."""

from __future__ import annotations

from typing import Any

from ..app import App
from ..memory import TurnRecord
from ..routing import Constraints, LearningInput, Router, RoutingDecision
from ..safety.redaction import redact_messages
from ..trust import Integrity
from .caller import Caller
from .ids import check_ids, key_of
from .learning import learning_input
from .recorder import Attempt, Recorder
from .tenant_models import within_tenant
from .turn import Turn


async def decide_route(
    router: Router,
    turn: Turn,
    constraints: Constraints | None = None,
    learned: LearningInput | None = None,
) -> RoutingDecision:
    """The decision alone: no memory, no metrics. route_turn, dispatch_turn, replay, the CLI and
    the benchmarks all decide through this; `learned` is the outcomes (and seed) it samples."""
    return await router.route(turn.messages, turn.images, constraints, learned)


async def route_turn(
    app: App,
    turn: Turn,
    caller: Caller,
    *,
    session_id: str | None = None,
    turn_id: str | None = None,
    constraints: Constraints | None = None,
    seed_turn: tuple[str | None, str | None] | None = None,
) -> RoutingDecision:
    """Decide among the models the caller's tenant may use, count, and with a session_id record
    the turn with its decision; the decision's
    `memory` says what memory did, and a database that fails costs the turn only its record.
    `seed_turn`: the (session id, turn id) a caller records the turn under itself
    (dispatch_turn), which seeds learning's draw as the session's own ids would."""
    check_ids(session_id, turn_id, caller.agent_id)
    key_of(caller, session_id)  # an id too long for the tenant fails before the work
    seed_session, seed_id = seed_turn or (session_id, turn_id)
    learned = learning_input(app, caller, key_of(caller, seed_session), seed_id)
    decision = within_tenant(app, caller, await decide_route(app.router, turn, constraints, learned))
    app.metrics.routed(decision.route, decision.model)
    if session_id is not None:
        await record_decided(app, turn, decision, caller, session_id=session_id, turn_id=turn_id)
    return decision


async def record_decided(
    app: App, turn: Turn, decision: RoutingDecision, caller: Caller, *, session_id: str, turn_id: str | None
) -> str:
    """Record a routed turn; the decision's `memory` and last reason say how it went."""
    note = await record_turn(app, turn, decision, caller, session_id=session_id, turn_id=turn_id)
    decision.memory = note
    decision.reasons.append(f"memory: {note}")
    return note


async def record_turn(
    app: App,
    turn: Turn,
    decision: RoutingDecision | dict[str, Any],
    caller: Caller,
    *,
    session_id: str,
    turn_id: str | None,
    integrity: Integrity = Integrity.owner,
) -> str:
    """Store the turn in the caller's session with what decided it (a routing decision, a
    forced model, the model that answered); the note says how it went, in words. A turn over
    its tenant's storage quota is refused: an InputError, nothing stored."""
    key = key_of(caller, session_id)
    attempt: Attempt[TurnRecord] = await Recorder(app).attempt(
        f"record a turn of session {session_id!r}",
        lambda memory: memory.record_turn(
            key,
            turn_id,
            redact_messages(turn.messages)[0],
            decision,
            agent_id=caller.agent_id,
            integrity=integrity,
            images=turn.images,
        ),
    )
    record = attempt.value
    if record is None:
        return f"not recorded: {attempt.failure}"
    if record.duplicate:
        note = f"already recorded as turn {record.seq} of session {session_id!r}; nothing stored twice"
    else:
        note = f"recorded as turn {record.seq} of session {session_id!r}"
    if record.resent:
        note += f"; {record.resent} re-sent message(s) were already stored"
    if record.capped:
        note += "; external content was cut at the session's cap"
    return note
