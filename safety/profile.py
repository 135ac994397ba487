"""Rules about who the user is and what the action is about: the operator writes
`safety.rules: [{category: alcohol, require: {age_at_least: 18}}]` and a profile per agent (or
the core passes one per session); an action in the category by a user who does not meet the
requirement is denied (or confirmed), and one by a user whose attributes are unknown asks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..config.safety import CategoryRule, Fact, UserProfile
from .actions import Action, Move, Navigate, Passive, Scroll, ToolCallAction, action_words
from .findings import Evidence, Finding, Outcome, clip_text
from .side_effects import name_words

# Generic words for each category, in any site's or catalog's vocabulary.
LEXICON: dict[str, str] = {
    "alcohol": r"alcohol\w*|beers?|wines?|winery|liquor|spirits|vodka|whiske?y|rum|gin|tequila|champagne|"
    r"brewery|cocktails?|sake|cider|bourbon|brandy|cognac",
    "tobacco": r"tobacco|cigarettes?|cigars?|vapes?|vaping|e-cigarettes?|nicotine|hookah|shisha|snus",
    "vehicle_rental": r"car rentals?|rent(ing)? a (car|vehicle|truck|van|motorcycle)|rental cars?|car hire|"
    r"hire a car|vehicle rentals?|truck rentals?|car sharing|carshare",
    "gambling": r"casinos?|gambl\w+|betting|bets?|sportsbook|poker|slot machines?|(?:play|online) slots|"
    r"lotter(y|ies)|roulette|blackjack|wagers?|bookmakers?",
    "medical": r"doctors?|physicians?|clinics?|hospitals?|medical|prescriptions?|pharmac(y|ies)|"
    r"vaccin\w+|dentists?|therap(y|ist)|diagnos\w+|telehealth|specialist appointment",
    "adult_content": r"adult content|porn\w*|xxx|nsfw|explicit content|erotic\w*|18\+ only",
    "weapons": r"firearms?|guns?|rifles?|handguns?|ammunition|ammo|pistols?|shotguns?",
    "cannabis": r"cannabis|marijuana|weed dispensary|dispensar(y|ies)|thc|cbd",
}
PATTERNS = {name: re.compile(rf"\b({words})\b", re.I) for name, words in LEXICON.items()}


@dataclass(frozen=True)
class Hit:
    category: str
    text: str
    where: str


# The user's messages a category is read from: the task is often stated a message or two
# before the step ("rent a car in Lyon for Friday", then "yes, the cheapest"). Only each one's
# opening is read: a request comes first, and a document pasted after it ("summarise this:
# <manual page>") would put every step in whatever category its words touch.
REQUEST_MESSAGES = 3
REQUEST_CHARS = 500


def request_text(user_texts: Sequence[str]) -> str:
    """What a category is read from in the user's messages (oldest first): the opening of each
    of the last few."""
    return " ".join(text[:REQUEST_CHARS] for text in list(user_texts)[-REQUEST_MESSAGES:])


def categories(action: Action, extra: dict[str, list[str]], user_texts: Sequence[str] = ()) -> list[Hit]:
    """Categories the action falls in: from the site, the action's own words (intent, label,
    tool, arguments), the user's recent requests (every step of a task is in the task's
    category: the click on "Continue" of a car rental is a car rental) or, with two or more
    mentions, the page text."""
    ctx = action.context
    url = action.url if isinstance(action, Navigate) else ctx.url
    direct = [
        ("the site", " ".join(name_words(url)) if url else ""),
        ("the action", action_words(action)),
        ("the user's request", request_text(user_texts)),
    ]
    if isinstance(action, ToolCallAction):
        direct.append(("the arguments", " ".join(str(v) for v in action.arguments.values())[:2000]))
    hits: list[Hit] = []
    names = sorted(set(PATTERNS) | set(extra))
    for name in names:
        pattern = PATTERNS.get(name)
        words = [w.lower() for w in extra.get(name, [])]
        for where, text in direct:
            m = pattern.search(text) if pattern else None
            word = next((w for w in words if w in text.lower()), None)
            if m or word:
                hits.append(Hit(name, m.group(0) if m else word or "", where))
                break
        else:
            page = ctx.screen_text or ""
            found = pattern.findall(page[:50_000]) if pattern else []
            if len(found) >= 2:
                hits.append(Hit(name, str(found[0]), "the page text"))
    return hits


def _unmet(rule: CategoryRule, profile: UserProfile) -> tuple[list[str], list[str]]:
    """(requirements not met, attributes unknown)."""
    need, unmet, unknown = rule.require, [], []
    if need.age_at_least is not None:
        if profile.age is None:
            unknown.append("age")
        elif profile.age < need.age_at_least:
            unmet.append(f"age at least {need.age_at_least} (the user is {profile.age})")
    held = {x.lower() for x in profile.licences or []}
    for licence in need.licences:
        if profile.licences is None:
            unknown.append("licences")
        elif licence.lower() not in held:
            unmet.append(f"a {licence} licence")
    if need.memberships:
        owned = {x.lower() for x in profile.memberships or []}
        if profile.memberships is None:
            unknown.append("memberships")
        elif not owned & {m.lower() for m in need.memberships}:
            unmet.append("membership of " + " or ".join(need.memberships))
    if need.regions or need.not_regions:
        region = (profile.region or "").lower()
        if not region:
            unknown.append("region")
        elif need.regions and not any(region.startswith(r.lower()) for r in need.regions):
            unmet.append("being in " + " or ".join(need.regions))
        elif any(region.startswith(r.lower()) for r in need.not_regions):
            unmet.append("not being in " + region.upper())
    for name, wanted in need.attributes.items():
        if name not in profile.attributes:
            unknown.append(name)
        elif not _same(profile.attributes[name], wanted):
            unmet.append(f"{name} {_shown(wanted)} (the user's is {_shown(profile.attributes[name])})")
    for name, least in need.at_least.items():
        value = profile.attributes.get(name)
        if value is None:
            unknown.append(name)
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < least:
            unmet.append(f"{name} at least {least:g} (the user's is {_shown(value)})")
    return unmet, sorted(set(unknown))


def _same(have: Fact, wanted: Fact) -> bool:
    """Equal, words without case; a yes/no equals only a yes/no (1 is not true)."""
    if isinstance(have, bool) or isinstance(wanted, bool):
        return isinstance(have, bool) and isinstance(wanted, bool) and have == wanted
    if isinstance(have, str) and isinstance(wanted, str):
        return have.strip().casefold() == wanted.strip().casefold()
    return have == wanted


def _shown(value: Fact) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def check_profile(
    action: Action,
    rules: list[CategoryRule],
    profile: UserProfile,
    agent_id: str | None,
    user_texts: list[str],
) -> list[Finding]:
    """Findings for the rules whose category the action falls in and whose requirements the
    profile does not meet (or cannot be known to meet). `user_texts`: the user's own messages,
    oldest first."""
    if not rules or isinstance(action, Passive | Scroll | Move):
        return []
    rules = [r for r in rules if not r.agents or (agent_id or "default") in r.agents]
    extra = {r.category: r.keywords for r in rules if r.keywords}
    hits = {h.category: h for h in categories(action, extra, user_texts)}
    findings: list[Finding] = []
    for rule in rules:
        hit = hits.get(rule.category)
        if hit is None:
            continue
        unmet, unknown = _unmet(rule, profile)
        label = rule.category.replace("_", " ")
        evidence = Evidence(text=clip_text(f"'{hit.text}' in {hit.where}", 200), field="action")
        if unmet:
            findings.append(
                Finding(
                    rule=f"profile.{rule.category}",
                    outcome=Outcome(rule.outcome),
                    risk=0.8 if rule.outcome == "deny" else 0.6,
                    message=f"{label} needs {'; '.join(unmet)}",
                    evidence=evidence,
                )
            )
        elif unknown:
            findings.append(
                Finding(
                    rule=f"profile.{rule.category}_unknown",
                    outcome=Outcome.confirm,
                    risk=0.5,
                    message=f"{label} has requirements, and the user's {', '.join(unknown)} is not known",
                    evidence=evidence,
                )
            )
    return findings
