from __future__ import annotations

import pytest

from agent_router.config.safety import AgentPolicy, DataClass
from agent_router.safety.detectors.secrets import check_outbound, luhn_ok, scan
from agent_router.safety.findings import Outcome


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("card 4539 1488 0343 6467 exp 11/29", DataClass.credit_card),
        ("5555-5555-5555-4444", DataClass.credit_card),
        ("AKIAIOSFODNN7EXAMPLE", DataClass.secret_key),
        ("token ghp_" + "a1B2" * 9, DataClass.secret_key),
        ("sk-proj-" + "Ab3dEf6hIj9kLm2nOp5q", DataClass.secret_key),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl", DataClass.private_key),
        ("secret=Zx9fQ2mB7kLp4Rt8Wv1Ys6Nc3Hd5Jg0a", DataClass.secret_key),
        ("SSN 078-05-1120", DataClass.national_id),
        ("NI number AB 12 34 56 C", DataClass.national_id),
        ("IBAN DE89 3704 0044 0532 0130 00", DataClass.bank_account),
        ("write to jane.doe@corp.example", DataClass.email),
        ("call +44 20 7946 0958 today", DataClass.phone),
    ],
)
def test_detects(text, data):
    assert data in [m.data for m in scan(text)]


@pytest.mark.parametrize(
    "text",
    [
        "4539 1488 0343 6468",  # fails Luhn
        "order 2024-11-23 10:30, room 101",
        "the meeting is on Tuesday",
        "version 1.24.3 build 20240101",
        "SSN 000-12-3456",
        "https://example.com/a/b/c/d",
    ],
)
def test_ignores_lookalikes(text):
    assert [m for m in scan(text) if m.data is not DataClass.phone] == []


def test_luhn():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")


def test_matches_are_redacted():
    match = scan("AKIAIOSFODNN7EXAMPLE")[0]
    assert "IOSFODNN7" not in match.shown


def test_outbound_respects_allowlist_and_lists():
    policy = AgentPolicy(send_allowlist=["mybank.com"], confirm_send=[DataClass.email])
    card = "4539 1488 0343 6467"
    assert list(check_outbound(card, "pay.mybank.com", policy, field="f")) == []
    denied = list(check_outbound(card, "shop.test", policy, field="action.text"))
    assert [f.outcome for f in denied] == [Outcome.deny]
    assert denied[0].evidence.field == "action.text" and denied[0].evidence.domain == "shop.test"
    asked = list(check_outbound("me@x.org", None, policy, field="f"))
    assert [f.outcome for f in asked] == [Outcome.confirm]
    assert list(check_outbound("me@x.org", None, AgentPolicy(confirm_send=[]), field="f")) == []
