"""Which always-confirm categories an action's words fall in: payments, messages, deletion,
account and security settings, software installation. The words are generic verbs and nouns
(tool names arrive split into words), never one catalog's function names."""

from __future__ import annotations

import re

from ..config.safety import ConfirmCategory

KEYWORDS: dict[ConfirmCategory, re.Pattern[str]] = {
    ConfirmCategory.payment: re.compile(
        r"\b(pay|payment|purchase|buy|checkout|check out|place order|order now|transfer|"
        r"send money|wire|donate|subscribe|billing|confirm payment)\b|\bpay_|"
        r"\b(send|schedule|make|create|update|modify|set up)( a| the| \w+ed)? "
        r"(transactions?|payments?|transfers?)\b",
        re.I,
    ),
    ConfirmCategory.send_message: re.compile(
        r"\b(send|reply|forward|post|publish|tweet|share|invite)\b|\bsend_",
        re.I,
    ),
    ConfirmCategory.delete: re.compile(
        r"\b(delete|remove|erase|wipe|destroy|discard|empty trash|uninstall|deactivate|"
        r"close account|cancel subscription)\b|delete_|remove_",
        re.I,
    ),
    ConfirmCategory.account_security: re.compile(
        r"\b(password|passcode|2fa|two-factor|mfa|security settings?|recovery (email|phone)|"
        r"api keys?|permissions?|grant access|authorize|sign out of all|change (email|account))\b|"
        r"\b(update|change|edit|modify|set|reset)\w* (the )?(\w+ )?(user|profile|account|personal)( \w+)?\b|"
        r"\badd\w* (a |the )?(\w+ )?(user|member|collaborator|admin)s? to\b",
        re.I,
    ),
    ConfirmCategory.install_software: re.compile(
        r"\b(install|installer|setup\.exe|\.msi|\.dmg|\.pkg|\.deb|\.apk|add extension|"
        r"add to chrome|enable extension|sideload)\b",
        re.I,
    ),
}


def categories_of(text: str) -> set[ConfirmCategory]:
    return {category for category, pattern in KEYWORDS.items() if pattern.search(text)}
