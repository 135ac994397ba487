"""Model pools: groups of models that are kept warm or woken on demand."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .routing import Strict


class PoolTemperature(StrEnum):
    warm = "warm"
    cold = "cold"


class PoolSpec(Strict):
    name: str = Field(min_length=1)
    temperature: PoolTemperature = PoolTemperature.warm
    models: list[str] = Field(default_factory=list)
