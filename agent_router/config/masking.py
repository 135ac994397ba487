"""The config as `agent-router config show` prints it: every value that may be a secret is
masked (header and env values, URL passwords and query tokens, fields named like a key, token,
secret or password). `${NAME}` references and `*_env` names are kept: they name a secret's
place, not the secret."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw|credential|authorization|cookie|sig)")
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_ALL_VALUES = {"headers", "env"}


def mask(text: str) -> str:
    return text if REFERENCE.match(text) else f"*** ({len(text)} chars)"


def masked(value: Any, name: str = "") -> Any:
    """A JSON-like config with its secrets masked."""
    if isinstance(value, dict):
        if name in _ALL_VALUES:
            return {k: mask(v) if isinstance(v, str) else masked(v, k) for k, v in value.items()}
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, name) for v in value]
    if not isinstance(value, str):
        return value
    if SECRET_NAME.search(name) and not name.endswith("_env"):
        return mask(value)
    if "://" in value:
        return _url(value)
    return value


def _url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url
    user = f"{parts.username}:***@" if parts.password else (f"{parts.username}@" if parts.username else "")
    query = urlencode(
        [
            (k, "***" if SECRET_NAME.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    if not parts.password and query == parts.query:
        return url
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, query, parts.fragment))
