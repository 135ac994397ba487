"""Text a person does not see but a model reads: invisible characters and encoded payloads.

An instruction can be hidden from the user who watches the agent while staying legible to the
model: spelled in Unicode tag characters (invisible, yet tokenised as their ASCII letters), split
by zero-width characters so that no phrase rule matches, or encoded as base64, base32, hex,
binary, quoted-printable or character escapes that the model is asked to decode. The checks read
what this module reveals, so a rule written for the plain phrasing holds for its hidden forms too
(respellings.py does the same for letters spaced, joined or swapped for digits, Morse, Braille,
text backwards and ROT13)."""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

# Unicode tag characters U+E0020-U+E007E mirror printable ASCII one for one.
_TAG_FIRST, _TAG_LAST, _TAG_OFFSET = 0xE0020, 0xE007E, 0xE0000

_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![\w+/=-])")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){16,}(?![0-9A-Fa-f])")
# Bytes written out in 0s and 1s, and escapes that spell every character: a URL's %xx, HTML's
# &#nn; and &#xhh;, a string's \xhh and \uhhhh. A link escapes a colon or a space here and
# there; a run of a dozen is text made illegible.
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){12,}")
_ENTITIES = re.compile(r"(?:&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});){12,}")
_BASE32 = re.compile(r"(?<![A-Z2-7=])(?:[A-Z2-7]{8}){3,}(?:[A-Z2-7]{0,7}={0,6})(?![A-Za-z0-9=])")
_QUOTED_PRINTABLE = re.compile(r"(?:=[0-9A-F]{2}){12,}")
_BINARY = re.compile(r"(?<![01])(?:[01]{8}[ ,]?){12,}")
_ESCAPES = re.compile(r"(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}){12,}")

# Most payloads a text is searched for: a page of hashes or keys costs a bounded number of tries.
MAX_PAYLOADS = 32


def reveal(text: str) -> str:
    """Tag characters read as the ASCII they stand for; other invisible format characters
    (zero-width spaces and joiners, soft hyphens, direction marks) are dropped."""
    if text.isascii():
        return text
    out = []
    for c in text:
        code = ord(c)
        if _TAG_FIRST <= code <= _TAG_LAST:
            out.append(chr(code - _TAG_OFFSET))
        elif unicodedata.category(c) != "Cf":
            out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class Payload:
    encoding: str  # an encoding's name (ENCODINGS) or a respelling's (respellings.py)
    start: int  # offset of the encoded run in the text searched
    text: str  # what it decodes to


def decoded_payloads(text: str) -> list[Payload]:
    """Runs of an encoding (ENCODINGS below) that decode to readable prose (words with spaces
    between them), not to bytes, identifiers or keys: only those can carry an instruction."""
    found: list[Payload] = []
    for encoding, pattern, decode in ENCODINGS:
        for m in pattern.finditer(text):
            try:
                decoded = decode(m.group(0))
            except (binascii.Error, ValueError, UnicodeDecodeError):
                continue
            if _reads_as_prose(decoded):
                found.append(Payload(encoding, m.start(), decoded))
                if len(found) >= MAX_PAYLOADS:
                    return found
    return found


def _from_base64(run: str) -> str:
    body = run.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(body + "=" * (-len(body) % 4), validate=True).decode("utf-8")


def _from_base32(run: str) -> str:
    body = run.rstrip("=")
    return base64.b32decode(body + "=" * (-len(body) % 8)).decode("utf-8")


def _from_binary(run: str) -> str:
    bits = re.sub(r"[ ,]", "", run)
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8)).decode("utf-8")


# Each encoding's name (the finding's evidence), its runs, and how a run decodes; a decoder
# raises on a run that is not what it looks like.
ENCODINGS: tuple[tuple[str, re.Pattern[str], Callable[[str], str]], ...] = (
    ("base64", _BASE64, _from_base64),
    ("hex", _HEX, lambda run: bytes.fromhex(run).decode("utf-8")),
    ("percent escapes", _PERCENT, lambda run: urllib.parse.unquote(run, errors="strict")),
    ("HTML character references", _ENTITIES, html.unescape),
    ("string escapes", _ESCAPES, lambda run: run.encode("ascii").decode("unicode_escape")),
    ("binary", _BINARY, _from_binary),
    ("base32", _BASE32, _from_base32),
    ("quoted-printable", _QUOTED_PRINTABLE, lambda run: bytes.fromhex(run.replace("=", "")).decode("utf-8")),
)


def _reads_as_prose(text: str) -> bool:
    if len(text) < 12 or text.count(" ") < 2:
        return False
    printable = sum(c.isprintable() or c in "\n\t" for c in text)
    letters = sum(c.isalpha() for c in text)
    return printable >= 0.95 * len(text) and letters >= 0.5 * len(text)
