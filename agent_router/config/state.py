"""State that replicas share: where it lives and how soon one replica sees what another learned."""

from __future__ import annotations

from pydantic import Field

from .routing import Strict


class StateSpec(Strict):
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db shared by every replica: each tenant's request rate "
        "and the used confirmation challenges; without it both are kept in this process",
    )
    key_prefix: str = Field(
        "agent-router:",
        min_length=1,
        description="the start of every key this deployment writes in Redis: deployments "
        "that share one Redis each need their own",
    )
    timeout_s: float = Field(
        0.5, gt=0, description="one Redis command; past it the rate is checked in process alone"
    )
    follow_s: float = Field(
        2.0,
        gt=0,
        description="how often tool selection and model choice read the calls, feedback and "
        "dispatch outcomes other replicas recorded in memory since they last looked",
    )
