from __future__ import annotations

import pytest

from agent_router.config.safety import AgentPolicy
from agent_router.safety.detectors.navigation import check_navigation, decode_host, skeleton
from agent_router.safety.findings import Outcome

PROTECTED = ["paypal.com", "google.com", "github.com"]


@pytest.mark.parametrize(
    ("url", "rule", "outcome"),
    [
        ("https://evil.test/login", "navigation.blocked_domain", Outcome.deny),
        ("https://cdn.evil.test/x", "navigation.blocked_domain", Outcome.deny),
        ("https://pаypal.com/signin", "navigation.lookalike_domain", Outcome.deny),  # Cyrillic а
        ("https://xn--pypal-4ve.com/", "navigation.lookalike_domain", Outcome.deny),
        ("https://paypa1.com/", "navigation.lookalike_domain", Outcome.deny),
        ("https://gooogle.com/", "navigation.lookalike_domain", Outcome.deny),
        ("https://rnybank.com/", "navigation.lookalike_domain", Outcome.deny),
        ("https://login.exarnple.com/", "navigation.lookalike_domain", Outcome.deny),
        ("javascript:alert(1)", "navigation.script_url", Outcome.deny),
        ("https://news.ycombinator.com/", "navigation.outside_allowlist", Outcome.confirm),
        ("https://xn--mnchen-3ya.de/", "navigation.punycode", Outcome.confirm),
        ("file:///etc/passwd", "navigation.local_file", Outcome.confirm),
        ("http://93.184.216.34/admin", "navigation.raw_ip", Outcome.confirm),
    ],
)
def test_flags(policy: AgentPolicy, url, rule, outcome):
    findings = check_navigation(url, policy, PROTECTED)
    assert rule in [f.rule for f in findings]
    assert max(f.outcome.rank for f in findings) == outcome.rank


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "https://docs.example.com/a?b=c",
        "https://www.mybank.com/login",
        "https://paypal.com/",
        "https://www.google.com/search?q=x",
        "github.com/user/repo",
    ],
)
def test_allowed_and_trusted_pass(policy: AgentPolicy, url):
    assert check_navigation(url, policy, PROTECTED) == []


def test_open_policy_allows_ordinary_sites():
    assert check_navigation("https://en.wikipedia.org/wiki/Shell", AgentPolicy(), PROTECTED) == []


def test_evidence_names_the_domain(policy: AgentPolicy):
    finding = check_navigation("https://xn--pypal-4ve.com/", policy, PROTECTED)[0]
    assert finding.evidence.domain == "xn--pypal-4ve.com"
    assert finding.evidence.detail["imitates"] == "paypal.com"


def test_skeleton_and_punycode():
    assert skeleton("pаypаl.com") == "paypal.com"
    assert decode_host("xn--mnchen-3ya.de") == "münchen.de"
