"""What a detector reports: a rule that fired, the outcome it asks for, and the evidence."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from ..config.safety import ConfirmCategory


class Outcome(StrEnum):
    allow = "allow"
    confirm = "confirm"
    deny = "deny"

    @property
    def rank(self) -> int:
        return ("allow", "confirm", "deny").index(self.value)


class Evidence(BaseModel):
    text: str | None = Field(None, description="the text that matched, shortened")
    field: str | None = Field(None, description="where in the input it was found")
    domain: str | None = None
    detail: dict[str, str | float | int] = Field(default_factory=dict)


class Finding(BaseModel):
    rule: str = Field(description="dotted rule name, e.g. shell.pipe_to_shell")
    outcome: Outcome
    risk: float = Field(ge=0, le=1)
    message: str
    evidence: Evidence = Field(default_factory=Evidence)
    escalate: bool = Field(False, description="worth a second opinion from the strongest model")
    category: ConfirmCategory | None = Field(
        None, description="a confirm that the agent's policy may waive for this category"
    )


def clip_text(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
