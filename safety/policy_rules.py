"""Rules of the agent's policy that need no detector: the always-confirm categories an action's
words fall in, and what the source of an instruction (as the caller states it) allows."""

from __future__ import annotations

from ..config.safety import AgentPolicy, ConfirmCategory
from ..trust import Integrity
from .actions import Action, Passive, SendMessage, action_words
from .categories import categories_of
from .findings import Evidence, Finding, Outcome, clip_text


def category_findings(action: Action, policy: AgentPolicy, target: list[str]) -> list[Finding]:
    words = " ".join([action_words(action), *target])
    found = categories_of(words) if words else set()
    if isinstance(action, SendMessage):
        found.add(ConfirmCategory.send_message)
    return [
        Finding(
            rule=f"policy.confirm_{category.value}",
            outcome=Outcome.confirm,
            risk=0.5,
            category=category,
            message=f"{category.value.replace('_', ' ')} needs the user's approval",
            evidence=Evidence(text=clip_text(words, 120), field="action"),
        )
        for category in sorted(found)
    ]


def trust_findings(action: Action, findings: list[Finding]) -> list[Finding]:
    """Instructions from below the owner never add authority: a hostile source denies, and
    an action only external content asked for is a question for the owner. An unstated source
    is no claim either way; nothing here raises trust (a confirm is lifted only by the
    router's challenge)."""
    source = action.context.instructed_by
    if source is None:
        return []
    evidence = Evidence(field="action.context.instructed_by", text=source.value)
    if source is Integrity.hostile:
        return [
            Finding(
                rule="trust.hostile_instruction",
                outcome=Outcome.deny,
                risk=0.9,
                escalate=True,
                evidence=evidence,
                message="the action was asked for by content flagged as hostile",
            )
        ]
    if not source.at_least(Integrity.known) and not isinstance(action, Passive):
        return [
            Finding(
                rule="trust.external_instruction",
                outcome=Outcome.confirm,
                risk=0.7 if findings else 0.6,
                escalate=True,
                evidence=evidence,
                message="the action was asked for only by external content, not by the user",
            )
        ]
    return []
