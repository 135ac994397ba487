"""Routing: signals per turn, decisions with reasons, and checks of the policy itself."""

from .decision import Constraints, ImageSignal, RoutingDecision, TurnSignals
from .router import Router, config_digest

__all__ = ["Constraints", "ImageSignal", "Router", "RoutingDecision", "TurnSignals", "config_digest"]
