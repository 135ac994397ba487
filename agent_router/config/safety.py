"""Computer-use safety policy: per agent, what may be reached, what needs a person's yes, and
which data may never leave for a domain outside an allowlist."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from .routing import Strict


class ConfirmCategory(StrEnum):
    payment = "payment"
    send_message = "send_message"
    delete = "delete"
    account_security = "account_security"
    install_software = "install_software"


class DataClass(StrEnum):
    credit_card = "credit_card"
    secret_key = "secret_key"  # API keys, tokens, high-entropy secrets
    private_key = "private_key"
    national_id = "national_id"
    bank_account = "bank_account"
    email = "email"
    phone = "phone"


def normalize_domain(name: str) -> str:
    return name.strip().lower().rstrip(".").removeprefix("*.")


def domain_matches(host: str, entry: str) -> bool:
    """An entry covers itself and its subdomains."""
    host, entry = normalize_domain(host), normalize_domain(entry)
    return host == entry or host.endswith("." + entry)


# A fact about the user that no named field holds: a yes/no, a number or a word.
Fact = bool | int | float | str


class UserProfile(Strict):
    """Who the agent acts for, as the operator states it; rules over action categories read it.
    An attribute left unset is unknown, and a rule that needs it asks the user."""

    age: int | None = Field(None, ge=0, le=150)
    region: str | None = Field(None, description="country or region code, e.g. 'DE' or 'US-CA'")
    licences: list[str] | None = Field(None, description="e.g. driving, firearms; unset: unknown")
    memberships: list[str] | None = Field(None, description="clubs, plans, tiers; unset: unknown")
    attributes: dict[str, Fact] = Field(
        default_factory=dict,
        max_length=64,
        description="any other fact a rule may need, e.g. {vaccinated: true, credit_score: 710}; "
        "a name left out is unknown",
    )

    def merged(self, other: UserProfile | None) -> UserProfile:
        """This profile with what `other` (a session's) states laid over it; attributes are
        merged name by name."""
        if other is None:
            return self
        given = other.model_dump(exclude_unset=True)
        if "attributes" in given:
            given["attributes"] = {**self.attributes, **other.attributes}
        return self.model_copy(update=given)


class Requirement(Strict):
    age_at_least: int | None = Field(None, ge=0, le=150)
    licences: list[str] = Field(default_factory=list, description="every one of these is needed")
    memberships: list[str] = Field(default_factory=list, description="any one of these is enough")
    regions: list[str] = Field(default_factory=list, description="allowed only in these regions")
    not_regions: list[str] = Field(default_factory=list, description="not allowed in these regions")
    attributes: dict[str, Fact] = Field(
        default_factory=dict,
        description="the profile's attribute must equal this (words compared without case)",
    )
    at_least: dict[str, float] = Field(
        default_factory=dict, description="the profile's numeric attribute must be at least this"
    )


class CategoryRule(Strict):
    """`{category: alcohol, require: {age_at_least: 18}}`: acting in the category needs the
    profile to meet the requirement; `outcome` says what happens when it does not."""

    category: str = Field(min_length=1, description="a category of safety/profile.py or of `keywords`")
    require: Requirement = Field(default_factory=Requirement)
    outcome: Literal["deny", "confirm"] = "deny"
    agents: list[str] = Field(default_factory=list, description="only these agents; empty: all")
    keywords: list[str] = Field(
        default_factory=list, description="extra words or domains that put an action in the category"
    )


class AgentPolicy(Strict):
    allowed_domains: list[str] = Field(
        default_factory=list, description="when set, navigation elsewhere needs confirmation"
    )
    blocked_domains: list[str] = Field(default_factory=list, description="never navigated to")
    allowed_apps: list[str] = Field(default_factory=list)
    blocked_apps: list[str] = Field(default_factory=list)
    allowed_servers: list[str] = Field(default_factory=list, description="MCP tool servers")
    blocked_servers: list[str] = Field(default_factory=list)
    confirm: list[ConfirmCategory] = Field(
        default_factory=lambda: list(ConfirmCategory), description="actions a person must approve"
    )
    never_send: list[DataClass] = Field(
        default_factory=lambda: [
            DataClass.credit_card,
            DataClass.secret_key,
            DataClass.private_key,
            DataClass.national_id,
        ],
        description="data that may not be typed or sent outside send_allowlist",
    )
    confirm_send: list[DataClass] = Field(
        default_factory=lambda: [DataClass.bank_account],
        description="data whose sending outside send_allowlist needs a yes",
    )
    send_allowlist: list[str] = Field(default_factory=list, description="domains trusted with data")
    waive_requested: bool = Field(
        True,
        description="with a recorded session, skip the category confirmation for an action the "
        "user's own words ask for and whose arguments trace to the user or to clean content",
    )
    profile: UserProfile = Field(default_factory=UserProfile, description="who this agent acts for")

    @field_validator("allowed_domains", "blocked_domains", "send_allowlist")
    @classmethod
    def _domains(cls, items: list[str]) -> list[str]:
        for i, item in enumerate(items):
            if not normalize_domain(item) or "/" in item:
                raise ValueError(f"item {i} ({item!r}) is not a domain name like example.com")
        return [normalize_domain(item) for item in items]

    def conflicts(self) -> Iterator[tuple[str, str]]:
        """(field, message) for every entry that is both allowed and blocked."""
        for allowed, blocked, same in (
            ("allowed_domains", "blocked_domains", domain_matches),
            ("allowed_apps", "blocked_apps", same_name),
            ("allowed_servers", "blocked_servers", same_name),
            ("send_allowlist", "blocked_domains", domain_matches),
        ):
            for i, item in enumerate(getattr(self, allowed)):
                for block in getattr(self, blocked):
                    if same(item, block):
                        yield (
                            f"{allowed}[{i}]",
                            f"{item!r} is allowed but {blocked} has {block!r}; remove one",
                        )
        for i, data in enumerate(self.confirm_send):
            if data in self.never_send:
                yield (f"confirm_send[{i}]", f"{data} is also in never_send; keep it in one list")


def same_name(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


class SafetySpec(Strict):
    agents: dict[str, AgentPolicy] = Field(
        default_factory=lambda: {"default": AgentPolicy()},
        description="policies by agent id; 'default' applies to agents not listed",
    )
    protected_domains: list[str] = Field(
        default_factory=lambda: [
            "google.com",
            "paypal.com",
            "apple.com",
            "microsoft.com",
            "amazon.com",
            "github.com",
            "facebook.com",
            "chase.com",
            "bankofamerica.com",
            "wellsfargo.com",
            "anthropic.com",
            "openai.com",
            "outlook.com",
            "gmail.com",
            "linkedin.com",
        ],
        description="look-alikes of these (and of allowed domains) are denied",
    )
    injection_threshold: float = Field(
        0.62, ge=-1, le=1, description="similarity to a known injection that flags"
    )
    escalation_threshold: float = Field(0.5, ge=-1, le=1, description="similarity to a jailbreak that counts")
    escalate_risk: float = Field(0.7, ge=0, le=1, description="risk at which to escalate")
    deputy_radius: int = Field(80, gt=0, description="pixels around a click read as its target")
    max_text_chars: int = Field(200_000, gt=0, description="longer text is read in part")
    confirmation_seconds: float = Field(
        300, gt=0, le=86_400, description="how long a confirm verdict's challenge stays valid"
    )
    alignment_threshold: float = Field(
        0.6,
        ge=-1,
        le=1,
        description="similarity of an action to the user's request that counts as asked for",
    )
    rules: list[CategoryRule] = Field(
        default_factory=list, description="requirements on the user profile per action category"
    )

    def policy(self, agent_id: str | None) -> AgentPolicy:
        if agent_id and agent_id in self.agents:
            return self.agents[agent_id]
        return self.agents.get("default") or AgentPolicy()

    def conflicts(self) -> Iterator[tuple[str, str]]:
        for name, policy in self.agents.items():
            for field, message in policy.conflicts():
                yield f"safety.agents.{name}.{field}", message
