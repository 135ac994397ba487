"""Characters that render like ASCII letters (the common part of Unicode's confusables table),
and letters drawn in another style (small capitals, letters in squares, circles, parentheses,
regional-indicator pairs), used to see through look-alike domains and homoglyph-smuggled or
styled text: a model reads "🅸🅶🅽🅾🆁🅴" and "ɪɢɴᴏʀᴇ" as "ignore"."""

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
# Styled letters that NFKC leaves alone: small capitals (Unicode has none for X), negative
# circled and squared capitals, regional indicators. They map with the look-alikes, after it.
_STYLED = dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘ\ua7afʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz", strict=True)) | {
    chr(first + i): chr(ord("A") + i) for first in (0x1F150, 0x1F170, 0x1F1E6) for i in range(26)
}
_LETTER_TABLE = str.maketrans(LETTERS | _STYLED)
# Parenthesized small letters, which NFKC would turn into "(a)": mapped before it.
_PARENTHESIZED = re.compile("[\u249c-\u24b5]")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Compatibility forms, accents, styled and look-alike letters mapped onto plain ASCII letters."""
    if text.isascii():
        return text
    text = _PARENTHESIZED.sub(lambda m: chr(ord(m.group(0)) - 0x249C + ord("a")), text)
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
