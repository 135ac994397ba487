"""What check_action and check_observation return."""

from __future__ import annotations

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


class ObservationReport(BaseModel):
    flagged: bool
    integrity: Integrity = Field(description="hostile when flagged, else the integrity given")
    findings: list[Finding] = Field(default_factory=list)
    risk: float = Field(0.0, ge=0, le=1)
    memory: str | None = Field(
        None, description="what session memory did with this check; null when no session was given"
    )
