"""Learning from outcomes: Thompson sampling over a route's eligible models.

Each (tenant, route, model) keeps a Beta posterior over "a turn this model answers on this
route goes well". Beta-Bernoulli is enough because every outcome the router sees reduces to
one graded yes/no (a rating from -1 to 1 becomes a fractional success, a failed or escalated
dispatch a failure, an answer within the caller's latency limit a success), the conjugate
update is two additions that SQL can sum, and a sample from each posterior gives exploration
in proportion to uncertainty with nothing to tune but the prior.

The draw is seeded (from tenant, session and turn where the caller names them) and the
decision records the counts and the seed it used, so replay draws the same sample from the
same state (replay/replayer.py)."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from ..config import LearningSpec

Counts = tuple[float, float]  # (good, bad) outcomes observed, the prior not included


class LearningRecord(BaseModel):
    """What learning did with one decision: enough to draw the same samples again."""

    route: str
    seed: int = Field(description="seeds the posterior draw; derived from tenant, session and turn")
    prior: Counts = Field(description="learning.prior_successes and prior_failures the draw used")
    observed: dict[str, Counts] = Field(description="model -> (good, bad) outcomes on this route then")
    samples: dict[str, float] = Field(
        default_factory=dict, description="model -> posterior sample; empty when too few outcomes"
    )
    applied: bool = Field(description="whether sampling chose the model, or the configured order did")


@dataclass(frozen=True)
class LearningInput:
    """The tenant's outcomes by route then model, and the seed of this turn's draw."""

    evidence: Mapping[str, Mapping[str, Counts]]
    seed: int

    @classmethod
    def recorded(cls, record: LearningRecord) -> LearningInput:
        """The state a recorded decision used: replay decides with it, not with today's."""
        return cls({record.route: dict(record.observed)}, record.seed)


@dataclass
class OutcomeTotals:
    """Outcomes summed per tenant, route and model: the in-process copy of memory's
    model_outcomes table (core/learning.py keeps it in step), read on every routed turn."""

    by_tenant: dict[str, dict[str, dict[str, Counts]]] = field(default_factory=dict)
    last_id: int = 0  # the largest model_outcomes id summed in

    def add(self, tenant: str, route: str, model: str, good: float, bad: float) -> None:
        models = self.by_tenant.setdefault(tenant, {}).setdefault(route, {})
        was_good, was_bad = models.get(model, (0.0, 0.0))
        models[model] = (was_good + good, was_bad + bad)

    def evidence(self, tenant: str) -> Mapping[str, Mapping[str, Counts]]:
        return self.by_tenant.get(tenant, {})


def turn_seed(tenant: str, session_key: str | None, turn_id: str | None) -> int:
    """The same turn of the same session draws the same sample; a turn that names no session
    or turn gets a fresh seed (its decision still records it)."""
    if session_key is None or turn_id is None:
        return secrets.randbits(63)
    digest = hashlib.sha256(f"{tenant}\0{session_key}\0{turn_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class LearnedPick:
    index: int  # into the eligible models, in the configured (or preference) order
    record: LearningRecord
    reason: str


def pick(route: str, eligible: list[str], learned: LearningInput, spec: LearningSpec) -> LearnedPick | None:
    """Sample each eligible model's posterior and take the highest (ties: configured order).
    None where there is nothing to learn from or nothing to choose between."""
    observed = learned.evidence.get(route, {})
    counts = {m: observed[m] for m in eligible if m in observed}
    if len(eligible) < 2 or not counts:
        return None
    prior = (spec.prior_successes, spec.prior_failures)
    total = sum(good + bad for good, bad in counts.values())
    if total < spec.min_observations:
        record = LearningRecord(route=route, seed=learned.seed, prior=prior, observed=counts, applied=False)
        reason = (
            f"learning: {_n(total)} outcomes on route {route!r}, fewer than "
            f"learning.min_observations {spec.min_observations}: kept the configured order"
        )
        return LearnedPick(0, record, reason)
    rng = random.Random(learned.seed)
    samples = {}
    for model in eligible:
        good, bad = counts.get(model, (0.0, 0.0))
        samples[model] = rng.betavariate(prior[0] + good, prior[1] + bad)
    best = max(range(len(eligible)), key=lambda i: (samples[eligible[i]], -i))
    chosen = eligible[best]
    other = eligible[0] if best else max(eligible[1:], key=lambda m: samples[m])
    verb = f"chose {chosen!r} over {other!r}" if best else f"kept {chosen!r} over {other!r}"
    record = LearningRecord(
        route=route, seed=learned.seed, prior=prior, observed=counts, samples=samples, applied=True
    )
    reason = (
        f"learning: {verb}: posterior sample {samples[chosen]:.2f} vs {samples[other]:.2f} "
        f"from {_n(total)} outcomes ({_tally(chosen, counts)}; {_tally(other, counts)})"
    )
    return LearnedPick(best, record, reason)


def _tally(model: str, counts: Mapping[str, Counts]) -> str:
    good, bad = counts.get(model, (0.0, 0.0))
    return f"{model} {_n(good)} good, {_n(bad)} bad"


def _n(value: float) -> str:
    return f"{round(value, 2):g}"
