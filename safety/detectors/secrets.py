"""Secrets and personal data in text the agent is about to type or send: payment cards (Luhn),
keys and tokens (known formats, then entropy), emails, phone numbers, national ids, IBANs."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ...config.safety import AgentPolicy, DataClass, domain_matches
from ..findings import Evidence, Finding, Outcome

KEY_FORMATS: list[tuple[str, DataClass, re.Pattern[str]]] = [
    ("private key block", DataClass.private_key, re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("AWS access key", DataClass.secret_key, re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "GitHub token",
        DataClass.secret_key,
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    ),
    ("Slack token", DataClass.secret_key, re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("Stripe key", DataClass.secret_key, re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    ("Google API key", DataClass.secret_key, re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "OpenAI or Anthropic key",
        DataClass.secret_key,
        re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b"),
    ),
    (
        "JSON web token",
        DataClass.secret_key,
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ),
]
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])"
    r"\d{3,4}[ .-]?\d{3,4}(?!\w)"
)
SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
UK_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")


@dataclass(frozen=True)
class SecretMatch:
    data: DataClass
    kind: str
    start: int
    end: int
    shown: str  # redacted: enough to find it, not enough to reuse it


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rotated = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rotated)
    return int(number) % 97 == 1


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def redact(text: str) -> str:
    return text if len(text) <= 6 else f"{text[:4]}…{text[-2:]} ({len(text)} chars)"


def masked(kind: str, secret: str) -> str:
    """What stored text holds in place of a secret (safety/redaction.py). scan() still finds
    it as the same kind, so a verdict judged again from stored inputs decides as it did."""
    return f"[{kind} redacted: {redact(secret)}]"


MASKED = re.compile(r"\[([A-Za-z ]+) redacted: [^\]\n]{1,60}\]")
KINDS: dict[str, DataClass] = {
    **{kind: data for kind, data, _ in KEY_FORMATS},
    "payment card number": DataClass.credit_card,
    "US social security number": DataClass.national_id,
    "UK national insurance number": DataClass.national_id,
    "high-entropy token": DataClass.secret_key,
}


def scan(text: str) -> list[SecretMatch]:
    """Every secret or personal datum in text, formats first so a key is not also 'entropy'."""
    found: list[SecretMatch] = []
    taken: list[tuple[int, int]] = []

    def add(data: DataClass, kind: str, match: re.Match[str]) -> None:
        start, end = match.span()
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(SecretMatch(data, kind, start, end, redact(match.group(0))))

    for match in MASKED.finditer(text):
        if match.group(1) in KINDS:
            add(KINDS[match.group(1)], match.group(1), match)
    for kind, data, pattern in KEY_FORMATS:
        for match in pattern.finditer(text):
            add(data, kind, match)
    for match in IBAN.finditer(text):
        if iban_ok(match.group(0)):
            add(DataClass.bank_account, "IBAN", match)
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            add(DataClass.credit_card, "payment card number", match)
    for match in SSN.finditer(text):
        add(DataClass.national_id, "US social security number", match)
    for match in UK_NINO.finditer(text):
        add(DataClass.national_id, "UK national insurance number", match)
    for match in EMAIL.finditer(text):
        add(DataClass.email, "email address", match)
    for match in PHONE.finditer(text):
        if len(re.sub(r"\D", "", match.group(0))) >= 10:
            add(DataClass.phone, "phone number", match)
    for match in TOKEN.finditer(text):
        if _looks_secret(match.group(0)):
            add(DataClass.secret_key, "high-entropy token", match)
    return found


def _looks_secret(token: str) -> bool:
    classes = sum(bool(re.search(p, token)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    return classes == 3 and entropy(token) >= 4.0 and not token.isdigit()


def check_outbound(text: str, domain: str | None, policy: AgentPolicy, *, field: str) -> Iterator[Finding]:
    """Data in never_send (deny) or confirm_send (confirm) bound for a domain outside the
    allowlist. An unknown destination is outside it."""
    if domain and any(domain_matches(domain, d) for d in policy.send_allowlist):
        return
    where = domain or "an unknown destination"
    for match in scan(text):
        if match.data in policy.never_send:
            outcome, risk = Outcome.deny, 0.9
        elif match.data in policy.confirm_send:
            outcome, risk = Outcome.confirm, 0.5
        else:
            continue
        yield Finding(
            rule=f"secrets.{match.data.value}",
            outcome=outcome,
            risk=risk,
            message=f"a {match.kind} would go to {where}, outside the send allowlist",
            evidence=Evidence(text=match.shown, field=field, domain=domain, detail={"kind": match.kind}),
            escalate=outcome is Outcome.deny,
        )
