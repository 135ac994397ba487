"""Findings as the shell rules report them: a deny (escalated when risky) or a confirm, with
the matched text as evidence; and one finding per rule and text."""

from __future__ import annotations

from ...config.safety import ConfirmCategory
from ..findings import Evidence, Finding, Outcome, clip_text


def deny(rule: str, message: str, text: str, field: str, risk: float = 0.95) -> Finding:
    return Finding(
        rule=rule,
        outcome=Outcome.deny,
        risk=risk,
        message=message,
        evidence=Evidence(text=clip_text(text), field=field),
        escalate=risk >= 0.9,
    )


def confirm(
    rule: str, message: str, text: str, field: str, risk: float, category: ConfirmCategory | None = None
) -> Finding:
    return Finding(
        rule=rule,
        outcome=Outcome.confirm,
        risk=risk,
        message=message,
        evidence=Evidence(text=clip_text(text), field=field),
        category=category,
        escalate=risk >= 0.75,
    )


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for finding in findings:
        key = (finding.rule, finding.evidence.text)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
