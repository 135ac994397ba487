"""Characters that render like ASCII letters (the common part of Unicode's confusables table),
used to see through look-alike domains and homoglyph-smuggled text."""

from __future__ import annotations

import re
import unicodedata

LETTERS = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "һ": "h",
    "ӏ": "l",
    "ո": "n",
    "ս": "u",
    "ա": "w",
    "в": "b",
    "к": "k",
    "м": "m",
    "н": "h",
    "т": "t",
    "ь": "b",
    "α": "a",
    "ο": "o",
    "ρ": "p",
    "ν": "v",
    "τ": "t",
    "υ": "u",
    "ι": "i",
    "κ": "k",
    "χ": "x",
    "ε": "e",
    "ԛ": "q",
    "ᴡ": "w",
    "ɑ": "a",
    "ı": "i",
    "ł": "l",
    "ø": "o",
}
_LETTER_TABLE = str.maketrans(LETTERS)
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Compatibility forms, accents and look-alike letters mapped onto plain ASCII letters."""
    folded = unicodedata.normalize("NFKC", text)
    base = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return base.translate(_LETTER_TABLE)


def smuggled_words(text: str) -> list[str]:
    """Words that mix ASCII letters with look-alikes from other scripts: 'jаilbreаk'."""
    return [
        w
        for w in _WORD.findall(text)
        if any(c in LETTERS for c in w) and any("a" <= c.lower() <= "z" for c in w)
    ]
