"""The errors agent-router raises on purpose, under one base, so a caller can catch them all.

    RouterError                 anything agent-router raises on purpose
    ├── InputError (ValueError) a caller's input is wrong; names each field at fault
    ├── ConfigError (ValueError) a config is invalid; lists each issue (agent_router.config)
    ├── MemoryUnavailable       the session database failed or refused; nothing was stored
    │                           (agent_router.memory)
    ├── EncoderUnavailable      the remote encoder service failed (agent_router.embeddings)
    ├── DownstreamError         a downstream MCP server failed (agent_router.tools)
    ├── NotConfigured           the server was not set up for this (no tools, pools or safety)
    ├── Refused                 the safety policy refuses a call (core.approval), or a tool cannot be checked
    ├── RateLimited             a tenant called faster than its limit (agent_router.rate_limit)
    └── DispatchError           no model answered the turn (agent_router.pools)
        ├── NoEndpoint          none of the models has an endpoint
        └── DispatchFailed      every candidate endpoint failed; carries the attempts

Errors of a module's own machinery that never leave it (a wake that failed, an abandoned
write) are plain exceptions inside that module."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError


def format_loc(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as a path a person can find: ``routes[2].examples``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "<root>"


class RouterError(Exception):
    """The base of every error agent-router raises on purpose."""


class InputError(RouterError, ValueError):
    """Bad input from a caller: one or more (field, message) pairs."""

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> InputError:
        return cls([(field, message)])

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: Sequence[str | int] = ()) -> InputError:
        problems = []
        for item in error.errors(include_url=False):
            # Discriminated unions add the tag name to the location; it is noise to a caller.
            loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            problems.append((format_loc([*prefix, *loc]), item["msg"]))
        return cls(problems)


class NotConfigured(RouterError):
    """The capability asked for is not set up on this server: tool selection, model pools or
    safety checks. The text says which."""


class Refused(RouterError):
    """The safety policy refuses the call; the text names the rules that fired."""


class RateLimited(RouterError):
    """A tenant called faster than its limit; the text names the limit and when to retry."""
