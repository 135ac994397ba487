"""Learning from outcomes: which of a route's models answers, moved by what its turns earned."""

from __future__ import annotations

from pydantic import Field

from .routing import Strict


class LearningSpec(Strict):
    """A Beta-Bernoulli posterior per tenant, route and model, sampled (Thompson) to choose
    among the route's models that meet the turn's limits. On by default: until a route's
    models have `min_observations` outcomes the configured order decides as before, so a
    router without feedback behaves exactly as one without learning."""

    enabled: bool = Field(True, description="choose among a route's eligible models by posterior sampling")
    prior_successes: float = Field(
        1.0, gt=0, description="Beta prior: good outcomes every model is credited with before any"
    )
    prior_failures: float = Field(
        1.0, gt=0, description="Beta prior: bad outcomes every model is charged with before any"
    )
    min_observations: int = Field(
        3,
        ge=1,
        description="outcomes a route's eligible models need between them before sampling "
        "replaces the configured order",
    )
    from_dispatch: bool = Field(
        True,
        description="dispatch outcomes count too: a failed or escalated model a bad outcome, an "
        "answer within the caller's latency limit a good one",
    )
