"""The router's confirm verdicts and the challenges that answer them. A verdict of `confirm`
carries a one-time challenge bound to the caller's tenant, the session, the agent and the exact
action; the same action repeated with that challenge is the user's yes. A confirmation the
caller merely states (`text`, `integrity`, `confirm: true`) counts for nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..app import App
from ..safety.actions import action_digest
from ..safety.confirmations import Binding, Challenge
from ..safety.findings import Evidence, Finding, Outcome
from ..safety.verdict import Verdict
from .caller import Caller


def binding(caller: Caller, session_id: str | None, action: Any) -> Binding:
    return Binding(caller.tenant, session_id, caller.agent_id, action_digest(action))


def challenge_of(action: Any) -> str | None:
    """The challenge an action's context.confirmation repeats, if any."""
    context = action.get("context") if isinstance(action, dict) else None
    confirmation = context.get("confirmation") if isinstance(context, dict) else None
    token = confirmation.get("challenge") if isinstance(confirmation, dict) else None
    return token if isinstance(token, str) else None


def without_confirmation(action: Any) -> Any:
    """The action as it is recorded: a challenge is a bearer token for its session, so it is
    never stored; whether it counted is recorded as the input's `confirmed`."""
    if not isinstance(action, dict) or not isinstance(action.get("context"), dict):
        return action
    context = {k: v for k, v in action["context"].items() if k != "confirmation"}
    return {**action, "context": context}


async def settle(
    app: App, verdict: Verdict, caller: Caller, *, session_id: str | None, action: Any, token: str | None
) -> bool:
    """Apply a challenge to a confirm verdict: a valid one makes it allow (True is returned);
    otherwise the verdict gets a fresh challenge, and a refused one says why. A deny or an
    allow is left as it is, and the token is not used up."""
    if verdict.decision is not Outcome.confirm:
        return False
    bound = binding(caller, session_id, action)
    if token is not None:
        refused = await app.challenges.redeem(token, bound)
        if refused is None:
            verdict.confirmed()
            return True
        verdict.findings.append(
            Finding(
                rule="trust.challenge_refused",
                outcome=Outcome.confirm,
                risk=verdict.risk,
                message=f"the confirmation does not count: {refused}",
                evidence=Evidence(field="action.context.confirmation.challenge"),
            )
        )
        verdict.rules.append("trust.challenge_refused")
    issued = app.challenges.issue(bound)
    verdict.challenge = issued.token
    verdict.challenge_expires = expiry(issued)
    return False


def expiry(challenge: Challenge) -> datetime:
    return datetime.fromtimestamp(challenge.expires_at, UTC)


def ask_again(what: str, token: str | None, expires: datetime | None) -> str:
    """How a caller answers a confirm: the words for an error message."""
    until = f" (valid until {expires:%H:%M:%S} UTC, once)" if expires else ""
    return (
        f"{what} Ask the user; once they agree, call again with the same arguments and "
        f"confirmation: {token!r}{until}"
    )
