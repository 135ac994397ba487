"""What went wrong with a model call, as an HTTP status both dialects share: each dialect
writes the body in its own error shape (openai_chat.py, anthropic_messages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.completion import UnknownModel
from ..errors import InputError, NotConfigured, RateLimited, Refused, RouterError
from ..memory import MemoryUnavailable
from ..pools import DispatchError, DispatchFailed, NoEndpoint

RETRY_AFTER_S = "1"


class BodyTooLarge(InputError):
    """The request body is over the endpoints' cap; nothing of it was parsed."""


@dataclass(frozen=True)
class Failure:
    """`kind` is the dialect-neutral name each dialect maps to its error type."""

    status: int
    kind: str  # bad_request, unauthenticated, forbidden, not_found, rate_limited, upstream, unavailable
    message: str
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


UNAUTHENTICATED = Failure(
    401, "unauthenticated", "this server requires a bearer token: send Authorization: Bearer <key>"
)


def failure_of(exc: RouterError) -> Failure:
    """The status a framework expects for each of the router's errors."""
    if isinstance(exc, UnknownModel):
        return Failure(404, "not_found", str(exc), "model")
    if isinstance(exc, BodyTooLarge):
        return Failure(413, "bad_request", str(exc))
    if isinstance(exc, InputError):
        return Failure(400, "bad_request", str(exc), exc.problems[0][0] if exc.problems else None)
    if isinstance(exc, Refused):
        return Failure(403, "forbidden", str(exc))
    if isinstance(exc, RateLimited):
        return Failure(429, "rate_limited", str(exc), headers={"retry-after": RETRY_AFTER_S})
    if isinstance(exc, DispatchError):
        return _dispatch_failure(exc)
    if isinstance(exc, NotConfigured | MemoryUnavailable):
        return Failure(503, "unavailable", str(exc), headers={"retry-after": RETRY_AFTER_S})
    return Failure(500, "upstream", str(exc))


def _dispatch_failure(exc: DispatchError) -> Failure:
    """No endpoint for the model: 503; every endpoint limited the rate: 429; else 502. Each
    with retry-after, as the frameworks' retry logic reads it."""
    cause = exc.__cause__ if isinstance(exc.__cause__, DispatchError) else exc
    retry = {"retry-after": RETRY_AFTER_S}
    if isinstance(cause, NoEndpoint):
        return Failure(503, "unavailable", str(exc), headers=retry)
    attempts = cause.attempts if isinstance(cause, DispatchFailed) else []
    if attempts and all(a.outcome == "http 429" for a in attempts):
        return Failure(429, "rate_limited", str(exc), headers=retry)
    return Failure(502, "upstream", str(exc), headers=retry)
