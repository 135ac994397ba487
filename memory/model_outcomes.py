"""What learning from outcomes reads and writes: the model_outcomes table, summed per tenant,
route and model, and the route and model a rated turn went to."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, insert, select

from .database import Database
from .schema import DecisionRow, ModelOutcomeRow, TurnRow

ANSWER_SUFFIX = ".answer"  # dispatch stores a turn's answer as turn "<turn id>.answer"


class ModelOutcome(NamedTuple):
    """One graded outcome: `good` 0..1, its bad part 1 - good; several rows of one
    (tenant, route, model) sum to that posterior's counts."""

    tenant: str
    route: str
    model: str
    good: float
    source: str = "feedback"


class OutcomeSum(NamedTuple):
    tenant: str
    route: str
    model: str
    good: float
    bad: float


async def record_model_outcomes(database: Database, outcomes: list[ModelOutcome]) -> None:
    if not outcomes:
        return
    async with database.write() as db:
        await db.execute(insert(ModelOutcomeRow), [o._asdict() for o in outcomes])


async def model_outcomes_after(database: Database, after: int = 0) -> tuple[list[OutcomeSum], int]:
    """Outcomes recorded after the id `after` (by any replica), summed, and the largest id
    summed: at start `after` is 0 and the sum is one grouped read, not a row per outcome. A
    row committed after one with a larger id is not seen (concurrent writers on PostgreSQL);
    the next start sums it."""
    good = func.sum(ModelOutcomeRow.good)
    async with database.read() as db:
        last = (
            await db.execute(select(func.max(ModelOutcomeRow.id)).where(ModelOutcomeRow.id > after))
        ).scalar()
        if last is None:
            return [], after
        rows = (
            await db.execute(
                select(
                    ModelOutcomeRow.tenant, ModelOutcomeRow.route, ModelOutcomeRow.model, good, func.count()
                )
                .where(ModelOutcomeRow.id > after, ModelOutcomeRow.id <= last)
                .group_by(ModelOutcomeRow.tenant, ModelOutcomeRow.route, ModelOutcomeRow.model)
            )
        ).all()
    return [OutcomeSum(t, r, m, float(g), float(n - g)) for t, r, m, g, n in rows], last


async def turn_choice(database: Database, session_id: str, turn_id: str) -> tuple[str, str] | None:
    """(route, model) of a routed turn: the route its decision took and the model that
    answered it (the recorded answer's, after a fallback), else the model decided. None for
    a turn without a route or a model."""
    async with database.read() as db:
        rows = (
            await db.execute(
                select(TurnRow.turn_key, DecisionRow.route, DecisionRow.model)
                .join(DecisionRow, DecisionRow.turn_pk == TurnRow.id)
                .where(
                    TurnRow.session_id == session_id, TurnRow.turn_key.in_([turn_id, turn_id + ANSWER_SUFFIX])
                )
            )
        ).all()
    decided = {key: (route, model) for key, route, model in rows}
    route, model = decided.get(turn_id, (None, None))
    answered = decided.get(turn_id + ANSWER_SUFFIX, (None, None))[1]
    model = answered or model
    return (route, model) if route is not None and model is not None else None
