"""What check_action and check_observation return."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..trust import Integrity
from .findings import Finding, Outcome


class Verdict(BaseModel):
    decision: Outcome = Field(description="allow, confirm (ask the user first) or deny")
    question: str | None = Field(None, description="what to ask the user when decision is confirm")
    rules: list[str] = Field(default_factory=list, description="the rules that fired")
    findings: list[Finding] = Field(default_factory=list, description="each rule with evidence")
    risk: float = Field(ge=0, le=1)
    escalate: bool = Field(False, description="high risk: have the strongest model look again")
    escalate_to: str | None = Field(None, description="the strongest configured model")
    action_type: str | None = None
    target: str | None = Field(None, description="the click target as read off the screenshot")
    memory: str | None = Field(
        None, description="what session memory did with this check; null when no session was given"
    )
    challenge: str | None = Field(
        None,
        description="with confirm: once the user agrees, repeat the same action with "
        "context.confirmation.challenge set to this (call_tool: confirmation); valid once",
    )
    challenge_expires: datetime | None = Field(None, description="when the challenge stops counting")

    def confirmed(self) -> None:
        """The user's yes, through the router's challenge: confirm becomes allow. Never a deny."""
        if self.decision is not Outcome.confirm:
            return
        self.decision = Outcome.allow
        self.question = None
        self.rules.append("trust.confirmed_by_challenge")
        self.findings.append(
            Finding(
                rule="trust.confirmed_by_challenge",
                outcome=Outcome.allow,
                risk=self.risk,
                message="confirmed by challenge: the user answered the router's question "
                "for this exact action",
            )
        )


class ObservationReport(BaseModel):
    flagged: bool
    integrity: Integrity = Field(description="hostile when flagged, else the integrity given")
    findings: list[Finding] = Field(default_factory=list)
    risk: float = Field(0.0, ge=0, le=1)
    memory: str | None = Field(
        None, description="what session memory did with this check; null when no session was given"
    )
