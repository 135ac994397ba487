"""Navigation to blocked domains, outside an allowlist, or to look-alikes of trusted domains
(punycode, mixed scripts, confusable characters, one-letter typos)."""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

from ...config.safety import AgentPolicy, domain_matches
from ..confusables import fold
from ..findings import Evidence, Finding, Outcome, clip_text

DIGITS = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s"})
DANGEROUS_SCHEMES = {"javascript", "data", "vbscript"}
LOCAL_SCHEMES = {"file"}


def skeleton(host: str) -> str:
    """A form in which look-alike hosts collapse onto the host they imitate."""
    return fold(host.lower()).lower().translate(DIGITS).replace("rn", "m").replace("vv", "w")


def decode_host(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            # An invalid punycode label stays as written and is judged as such.
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def registered(host: str) -> str:
    """example.co.uk -> example.co.uk, www.example.com -> example.com (good enough for checks)."""
    parts = host.split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in ("co", "com", "org", "net", "ac"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def host_of(url: str) -> str | None:
    candidate = url if "://" in url else f"//{url}"
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def check_navigation(
    url: str, policy: AgentPolicy, protected: list[str], *, field: str = "action.url"
) -> list[Finding]:
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url.split("/", 1)[0] else ""
    if scheme in DANGEROUS_SCHEMES:
        return [
            Finding(
                rule="navigation.script_url",
                outcome=Outcome.deny,
                risk=0.9,
                message=f"{scheme}: URLs run code or hide content",
                evidence=Evidence(text=clip_text(url, 80), field=field),
            )
        ]
    if scheme in LOCAL_SCHEMES:
        return [
            Finding(
                rule="navigation.local_file",
                outcome=Outcome.confirm,
                risk=0.5,
                message="opens a local file in the browser",
                evidence=Evidence(text=clip_text(url, 120), field=field),
            )
        ]
    host = host_of(url)
    if not host:
        return [
            Finding(
                rule="navigation.unparsed",
                outcome=Outcome.confirm,
                risk=0.5,
                message="the URL has no host that can be checked",
                evidence=Evidence(text=clip_text(url, 120), field=field),
            )
        ]
    return check_domain(host, policy, protected, field=field)


def check_domain(host: str, policy: AgentPolicy, protected: list[str], *, field: str) -> list[Finding]:
    shown = decode_host(host)
    evidence = Evidence(text=shown, field=field, domain=host)
    for blocked in policy.blocked_domains:
        if domain_matches(host, blocked) or domain_matches(shown, blocked):
            return [
                Finding(
                    rule="navigation.blocked_domain",
                    outcome=Outcome.deny,
                    risk=0.9,
                    message=f"{host} is blocked by policy ({blocked})",
                    evidence=evidence,
                )
            ]
    trusted = [*policy.allowed_domains, *protected]
    if any(domain_matches(host, t) for t in trusted):
        return []
    lookalike = _imitates(shown, trusted)
    if lookalike:
        return [
            Finding(
                rule="navigation.lookalike_domain",
                outcome=Outcome.deny,
                risk=0.95,
                message=f"{shown} imitates {lookalike}",
                escalate=True,
                evidence=evidence.model_copy(update={"detail": {"imitates": lookalike}}),
            )
        ]
    findings = []
    if host != shown or not shown.isascii():
        findings.append(
            Finding(
                rule="navigation.punycode",
                outcome=Outcome.confirm,
                risk=0.5,
                message=f"{host} is an internationalised name shown as {shown}",
                evidence=evidence,
            )
        )
    if policy.allowed_domains:
        findings.append(
            Finding(
                rule="navigation.outside_allowlist",
                outcome=Outcome.confirm,
                risk=0.5,
                message=f"{host} is not on this agent's allowed domains",
                evidence=evidence,
            )
        )
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None and address.is_global:
        findings.append(
            Finding(
                rule="navigation.raw_ip",
                outcome=Outcome.confirm,
                risk=0.4,
                message="a public IP address instead of a domain name",
                evidence=evidence,
            )
        )
    return findings


def _imitates(host: str, trusted: list[str]) -> str | None:
    mine = registered(host)
    mine_skeleton = skeleton(mine)
    for name in trusted:
        theirs = registered(name)
        if mine == theirs:
            continue
        if mine_skeleton == skeleton(theirs) or _one_edit(mine.split(".")[0], theirs.split(".")[0]):
            return theirs
    return None


def _one_edit(a: str, b: str) -> bool:
    """One inserted, deleted, replaced or swapped letter, on names long enough to matter."""
    if a == b or min(len(a), len(b)) < 6 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
