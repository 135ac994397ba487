"""Instructions respelled so that a phrase rule does not see them while a model still reads
them: letters spaced apart or joined by a mark ("i g n o r e  a l l", "i.g.n.o.r.e"), markup
inside words ("ign</span><span>ore"), digits for letters ("1gn0r3 4ll"), Morse code and Braille,
a sentence written backwards, upside down or in ROT13 (letters in other styles, "ɪɢɴᴏʀᴇ",
"🅸🅶🅽🅾🆁🅴", are folded in confusables.py). Each respelling here is undone where the text shows
its signs, and what it gives back is read by the same rules as plain text (as base64 and hex
are, hidden_text.py): a rule written once for the plain phrasing holds for these forms too.

The undoing is gated so that ordinary text costs little and yields nothing: a run of eight or
more single letters, a line with several words that mix letters and digits or with four turned
letters, inline tags between two letters, a stretch of words that holds almost none of English's
commonest words but does once reversed or rotated."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from itertools import islice

from .hidden_text import MAX_PAYLOADS, Payload

# Single letters or digits with one space between them and a wider gap (or " / ") between words,
# ending at a space, punctuation or the end.
_SPACED = re.compile(r"(?<!\S)\w(?:(?: {1,3}| / )\w){7,}(?=[\s.,;:!?)\"']|$)")
_WORD_GAP = re.compile(r" {2,}| / ")
# Single letters joined by one mark ("i.g.n.o.r.e a.l.l", "i-g-n-o-r-e"), words apart by spaces;
# single digits joined by dots are a version or an address, so letters must be most of it.
_JOINED = re.compile(r"(?<![\w.*|~•+-])\w([.*|~•+-])\w(?:\1\w)+(?:\s+\w(?:\1\w)+)*(?![\w*|~•+-])")
_JOINED_LETTERS = 8
# Markup inside a word ("ign</span><span>ore"): the page renders one word, which a rule reads
# only with the tags taken out.
_INLINE_TAG = r"</?(span|b|i|em|strong|u|s|font|mark|small|sub|sup|a|code|ins|del)\b[^<>\n]{0,200}>"
_TAG_IN_WORD = re.compile(rf"[a-z](?:{_INLINE_TAG})+[a-z]", re.I)
_TAG = re.compile(_INLINE_TAG, re.I)
# A word spelled with digits for some of its letters: letters and digits mixed, at least one each,
# and a letter that is not a hex digit (hashes and ids are hex; "%3A" escapes a colon).
_LEET_WORD = re.compile(r"(?<![%\\])\b(?=[a-z013457]*[013457])(?=[a-z013457]*[g-z])[a-z013457]{2,}\b", re.I)
_LEET = str.maketrans("013457", "oieast")
_LEET_WORDS_PER_LINE = 3
# Letters in Morse code (words apart by " / " or three spaces) and in Braille cells.
_MORSE = re.compile(r"(?<![\w.-])[.-]{1,6}(?:(?: {1,3}| ?/ ?)[.-]{1,6}){9,}(?![\w.-])")
_MORSE_LETTERS = dict(
    zip(
        ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- ...- .-- "  # noqa: SIM905
        "-..- -.-- --.. ----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----.".split(),
        "abcdefghijklmnopqrstuvwxyz0123456789",
        strict=True,
    )
)
_BRAILLE = re.compile(r"[\u2801-\u28ff][\u2800-\u28ff ]{9,}")
_BRAILLE_LETTERS = str.maketrans(
    "\u2801\u2803\u2809\u2819\u2811\u280b\u281b\u2813\u280a\u281a\u2805\u2807\u280d"
    "\u281d\u2815\u280f\u281f\u2817\u280e\u281e\u2825\u2827\u283a\u282d\u283d\u2835\u2800",
    "abcdefghijklmnopqrstuvwxyz ",
)
# Text turned upside down: each letter swapped for its turned form and the line reversed.
_TURNED = "ɐqɔpǝɟƃɥıɾʞlɯuodbɹsʇnʌʍxʎz"
_UNTURN = str.maketrans(_TURNED + "ᴉ", "abcdefghijklmnopqrstuvwxyz" + "i")
_TURNED_ONLY = re.compile(r"[ɐɔǝɟƃɥıᴉɾʞɯɹʇʌʍʎ]")
_TURNED_LINE = 4  # distinct turned-only letters a line must hold
# Stretches between sentence ends and brackets, where a respelled sentence sits.
_STRETCH = re.compile(r"[^.!?()\[\]{}\n\"“”]{16,400}")
_WORD = re.compile(r"[A-Za-z]{2,}")
_COMMON = frozenset(
    "the an and or but to of in on at for with from by is are was be this that it you your "  # noqa: SIM905
    "all any as not no do if then so we our my me they them their he she his her will can "
    "should must have has what which who when where how".split()
)


def respelled_payloads(text: str) -> list[Payload]:
    """Each respelled run, line or stretch of text, undone, in the order the respellings are
    listed above; the first MAX_PAYLOADS of them, so a page full of such runs costs a bounded
    read."""
    return list(islice(_respellings(text), MAX_PAYLOADS))


def _respellings(text: str) -> Iterator[Payload]:
    for m in _SPACED.finditer(text):
        spelled = " ".join(w.replace(" ", "") for w in _WORD_GAP.split(m.group(0)))
        yield Payload("spaced letters", m.start(), spelled)
    for m in _JOINED.finditer(text):
        spelled = m.group(0).replace(m.group(1), "")
        if sum(c.isalpha() for c in spelled) >= _JOINED_LETTERS:
            yield Payload("joined letters", m.start(), " ".join(spelled.split()))
    for m in _MORSE.finditer(text):
        words = re.split(r" ?/ ?| {3}", m.group(0))
        spelled = " ".join("".join(_MORSE_LETTERS.get(c, "?") for c in w.split()) for w in words)
        yield Payload("Morse code", m.start(), spelled)
    for m in _BRAILLE.finditer(text):
        yield Payload("Braille", m.start(), m.group(0).translate(_BRAILLE_LETTERS).strip())
    for match in re.finditer(r"[^\n]+", text):
        line, start = match.group(0), match.start()
        if len(set(_TURNED_ONLY.findall(line))) >= _TURNED_LINE:
            yield Payload("upside-down text", start, line[::-1].translate(_UNTURN))
        if "<" in line and _TAG_IN_WORD.search(line):
            yield Payload("markup inside words", start, _TAG.sub("", line))
        if len(_LEET_WORD.findall(line)) >= _LEET_WORDS_PER_LINE:
            plain = _LEET_WORD.sub(lambda w: w.group(0).translate(_LEET), line)
            yield Payload("digits for letters", start, plain)
    for stretch in _STRETCH.finditer(text):
        words = _WORD.findall(stretch.group(0))
        if len(words) < 4 or _common(words) > len(words) // 10:
            continue
        for name, undone in (
            ("backwards text", stretch.group(0)[::-1]),
            ("ROT13", codecs.encode(stretch.group(0), "rot13")),
        ):
            common = _common(_WORD.findall(undone))
            if common >= 2 and common >= len(words) // 4:
                yield Payload(name, stretch.start(), undone.strip())


def _common(words: list[str]) -> int:
    """How many of the words (two letters or more) are among English's commonest."""
    return sum(w.lower() in _COMMON for w in words)
