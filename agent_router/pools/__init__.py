"""Warm and cold model pools: a live view of every model endpoint, and dispatch of turns to them."""

from .dispatch_errors import DispatchError, DispatchFailed, NoEndpoint
from .dispatcher import Dispatcher
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
