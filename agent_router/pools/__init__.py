"""Warm and cold model pools: a live view of every model endpoint, and dispatch of turns to them."""

from .dispatcher import Dispatcher, DispatchError, DispatchFailed, NoEndpoint
from .results import Attempt, CascadeStep, DispatchOutcome, EndpointStatus

__all__ = [
    "Attempt",
    "CascadeStep",
    "DispatchError",
    "DispatchFailed",
    "DispatchOutcome",
    "Dispatcher",
    "EndpointStatus",
    "NoEndpoint",
]
