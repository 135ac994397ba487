"""Authentication of HTTP callers: the TokenVerifiers of API keys and of OAuth 2.1 JWTs, and
how `serve --http` wires them, with its Host and Origin checks. stdio has no use for it."""

from .claims import AGENT_CLAIM, ROLE_CLAIM, TENANT_CLAIM, identity_claims
from .keys import KeyVerifier
from .serving import HttpAuth, check_bind, http_auth, transport_security, url_host

__all__ = [
    "AGENT_CLAIM",
    "ROLE_CLAIM",
    "TENANT_CLAIM",
    "HttpAuth",
    "KeyVerifier",
    "check_bind",
    "http_auth",
    "identity_claims",
    "transport_security",
    "url_host",
]
