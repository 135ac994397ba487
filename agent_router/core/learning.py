"""Learning from outcomes, per tenant: ratings of routed turns (record_feedback) and what
dispatch saw (a model that failed or was escalated past, an answer within the caller's
latency limit) become model_outcomes rows, summed into App.outcomes, which route_turn's
posterior sampling reads (routing/learning.py).

With memory the rows are written, then read back with whatever other replicas wrote since
(App.relearn_model_outcomes, one indexed read), so replicas share one state and nothing
counts twice; without memory they are summed in this process alone."""

from __future__ import annotations

import asyncio
import logging

from ..app import App
from ..memory import MemoryStore, ModelOutcome, record_model_outcomes, turn_choice
from ..pools import Attempt, DispatchOutcome
from ..routing import Constraints, LearningInput, turn_seed
from .caller import Caller
from .recorder import Recorder

log = logging.getLogger("agent_router.learning")

DISPATCH = "dispatch"
FEEDBACK = "feedback"
GATHER_S = 0.05  # how long deferred outcomes gather before one write stores them all


def learning_input(
    app: App, caller: Caller, session_key: str | None, turn_id: str | None
) -> LearningInput | None:
    """What the router samples from for this caller's turn: its tenant's outcomes and a seed
    the same turn of the same session always gets. None with learning off."""
    if not app.config.learning.enabled:
        return None
    return LearningInput(app.outcomes.evidence(caller.tenant), turn_seed(caller.tenant, session_key, turn_id))


async def learn(app: App, outcomes: list[ModelOutcome]) -> int:
    """Store and sum in the outcomes of models on routes that list them (a model borrowed from
    another route, or a route renamed since, teaches nothing); how many counted (none where
    memory failed: the failure is logged and counted as memory_down)."""
    kept = [o for o in outcomes if _on_route(app, o.route, o.model)]
    if not kept:
        return 0
    if app.memory is None:
        for o in kept:
            app.outcomes.add(o.tenant, o.route, o.model, o.good, 1 - o.good)
        return len(kept)

    async def store(memory: MemoryStore) -> None:
        await record_model_outcomes(memory.database, kept)
        await app.relearn_model_outcomes()

    # Within memory.write_timeout_s: a locked database costs the turn these outcomes, not time.
    done = await Recorder(app).attempt("record model outcomes", store)
    return len(kept) if done.ok else 0


async def learn_from_feedback(app: App, caller: Caller, session_key: str, turn_id: str, score: float) -> int:
    """A rating from -1 to 1 of a routed turn: (score + 1) / 2 of a good outcome for the model
    that answered it on its route. A neutral 0 teaches nothing, as it does tool selection."""
    if app.memory is None or score == 0:
        return 0
    choice = await turn_choice(app.memory.database, session_key, turn_id)
    if choice is None:
        return 0
    route, model = choice
    return await learn(app, [ModelOutcome(caller.tenant, route, model, (score + 1) / 2, FEEDBACK)])


def dispatch_outcomes(
    tenant: str,
    route: str,
    *,
    answered: DispatchOutcome | None,
    attempts: list[Attempt],
    constraints: Constraints | None,
    budget_ms: float | None,
) -> list[ModelOutcome]:
    """One outcome per model a dispatch tried: bad for a model that never answered or whose
    answer a cascade passed over; for the model that answered, good when it met the caller's
    limits (max_latency_ms against time to first token, the latency budget against the
    whole call), else bad."""
    failed = {a.model for a in attempts if a.outcome not in ("answered", "woken")}
    if answered is not None:
        failed |= {step.model for step in answered.cascade if not step.kept}
        failed.discard(answered.model)
    outcomes = [ModelOutcome(tenant, route, model, 0.0, DISPATCH) for model in sorted(failed)]
    if answered is not None:
        limit = constraints.max_latency_ms if constraints is not None else None
        slow = (limit is not None and answered.ttft_ms > limit) or (
            budget_ms is not None and answered.total_ms > budget_ms
        )
        outcomes.append(ModelOutcome(tenant, route, answered.model, 0.0 if slow else 1.0, DISPATCH))
    return outcomes


async def learn_from_dispatch(app: App, outcomes: list[ModelOutcome]) -> None:
    """Dispatch outcomes where learning.from_dispatch; a failure to store them is logged and
    costs the turn nothing."""
    if not (app.config.learning.enabled and app.config.learning.from_dispatch):
        return
    try:
        await learn(app, outcomes)
    except Exception as exc:  # noqa: BLE001 - the turn is answered; learning misses one outcome
        log.warning("dispatch outcomes not learned: %s", exc)


def _on_route(app: App, route: str, model: str) -> bool:
    return any(r.name == route and model in r.models for r in app.config.routes)


class DeferredOutcomes:
    """Dispatch outcomes of model calls in the path, stored after the answer and together:
    whatever gathered within GATHER_S goes in one transaction with one re-read, where one of
    each per call cost 3-4 ms of CPU a call on two cores. A turn may then route before the
    outcome of the call just before it counts; its decision records the counts it used, so
    replay is unaffected."""

    def __init__(self) -> None:
        self.pending: dict[int, tuple[App, list[ModelOutcome]]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, app: App, outcomes: list[ModelOutcome]) -> None:
        if not outcomes:
            return
        self.pending.setdefault(id(app), (app, []))[1].extend(outcomes)
        if not self._gathering():  # none yet, or one left behind by an event loop that ended
            self.task = asyncio.create_task(self._after_gathering())

    async def drain(self) -> None:
        """Store everything gathered, the batch being written included: the server calls this
        (through drain_writes) before memory closes."""
        if self.task is not None and self._gathering():
            await asyncio.wait([self.task])
        await self._flush()

    def _gathering(self) -> bool:
        task = self.task
        return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()

    async def _flush(self) -> None:
        pending, self.pending = self.pending, {}
        for app, outcomes in pending.values():
            await learn_from_dispatch(app, outcomes)

    async def _after_gathering(self) -> None:
        while self.pending:  # outcomes added while a batch was being stored make the next one
            await asyncio.sleep(GATHER_S)
            await self._flush()


deferred_outcomes = DeferredOutcomes()
