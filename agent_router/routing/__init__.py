"""Routing: signals per turn, decisions with reasons, and checks of the policy itself."""

from .decision import Constraints, ImageSignal, RoutingDecision, TurnSignals
from .learning import LearningInput, LearningRecord, OutcomeTotals, turn_seed
from .router import Router, config_digest

__all__ = [
    "Constraints",
    "ImageSignal",
    "LearningInput",
    "LearningRecord",
    "OutcomeTotals",
    "Router",
    "RoutingDecision",
    "TurnSignals",
    "config_digest",
    "turn_seed",
]
