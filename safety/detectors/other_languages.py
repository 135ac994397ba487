""" "Ignore your previous instructions" in languages other than English.

The English phrasings are rules of injection.py and the learned head reads English best (its
encoder is English and its corpora mostly so), so an override written in another language gets
past both. Each language's pattern is the override's mechanism in that language's grammar: a
verb of setting aside (ignore, disregard, forget, skip) with instructions, directives, rules or
commands as its object, in the order the language puts them. Where a verb also means "don't
forget" or "skip this guide", the pattern asks for a word the override needs ("previous",
"above", "all") or refuses the negation ("vergeet ... niet", "не забудь", "glöm inte"), so
that a manual's "don't forget the instructions" passes. Written from each grammar, not from
any attack set's phrasing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class Searcher(Protocol):
    """What a phrase rule needs of its pattern: a compiled regex, or GatedPattern below."""

    def search(self, string: str, /) -> re.Match[str] | None: ...


@dataclass(frozen=True)
class Override:
    """One language's override: its verbs of setting aside, and the pattern around them, in
    which VERB stands for the verbs. `spaced` scripts put word boundaries around the verb."""

    verbs: str
    pattern: str
    spaced: bool = True


# Language tags -> override. Lower case; compiled case-insensitively.
OVERRIDES: dict[str, Override] = {
    "es pt it": Override(
        r"ignora\w*|ignore\w*|ignorar\w*|olvida\w*|esque[cç]a\w*|dimentica\w*",
        r"(?<!no )(?<!não )(?<!nao )(?<!non )\b(VERB)\s+([a-zà-ú]+\s+){0,3}"
        r"(instrucciones|instru[cç][oõ]es|istruzioni|indicaciones|reglas|regole|regras)\b",
    ),
    "fr": Override(
        r"ignore[rz]?|oublie[rz]?",
        r"\b(VERB)\s+(?!pas\b)([a-zà-ÿ]+\s+){0,3}(instructions|consignes|r[eè]gles)\s+"
        r"(pr[ée]c[ée]dentes|ant[ée]rieures|initiales|ci-dessus)",
    ),
    "de": Override(
        r"ignorier\w*|vergiss|vergesst|missachte\w*",
        r"\b(VERB)\s+(?!nicht\b)([a-zäöüß]+\s+){0,3}"
        r"(anweisungen|instruktionen|regeln|vorgaben|befehle)\b(?!\s+nicht\b)",
    ),
    "nl": Override(
        r"negeer|vergeet",
        r"\b(VERB)\s+(?!niet\b)([a-z]+\s+){0,3}(instructies|aanwijzingen|opdrachten|regels)\b"
        r"(?!\s+niet\b)",
    ),
    "sv da no": Override(
        r"ignorera|ignorer|bortse\s+fr[aå]n|gl[öø]m|glem",
        r"\b(VERB)\s+(?!(inte|ikke|ej)\b)([a-zåäöæø]+\s+){0,3}"
        r"(instruktion\w*|instruksjon\w*|anvisningar\w*|regler\w*)",
    ),
    "pl": Override(
        r"zignoruj\w*|ignoruj\w*|zapomnij\w*|pomiń",
        r"(?<!nie )\b(VERB)\s+([a-ząćęłńóśźż]+\s+){0,3}(instrukcj\w*|polece\w*|zasad\w*|wytyczn\w*)",
    ),
    "cs sk": Override(
        r"ignoruj\w*|zapome[nň]\w*|zabudni\w*",
        r"\b(VERB)\s+([a-záčďéěíňóřšťúůýž]+\s+){0,3}(instrukc\w*|pokyn\w*|příkaz\w*|pravidl\w*)",
    ),
    "ro": Override(
        r"ignor[aă]\w*|uit[aă]\w*",
        r"(?<!nu )\b(VERB)\s+([a-zăâîșşțţ]+\s+){0,3}"
        r"(instruc[țţt]iuni\w*|indica[țţt]ii\w*|reguli\w*)",
    ),
    "hu": Override(
        r"hagyd|hagyja|hagyjátok|felejtsd|felejtse",
        r"(?<!ne )\b(VERB)\s+(figyelmen\s+kívül|el)\s+([a-záéíóöőúüű]+\s+){0,3}"
        r"(utasítás\w*|instrukció\w*|szabály\w*)",
    ),
    "ru uk": Override(
        r"игнорируй\w*|забудь\w*|проигнорируй\w*|ігноруй\w*|проігноруй\w*",
        r"(?<!не )\b(VERB)\s+([а-яіїєґ']+\s+){0,3}"
        r"(инструкци\w*|указани\w*|правил\w*|інструкці\w*|вказівк\w*)",
    ),
    "el": Override(
        r"αγνόησε|αγνοήστε|ξέχασε|ξεχάστε",
        r"(VERB)\s+(\S+\s+){0,3}(οδηγίες|οδηγιών|εντολές|εντολών|κανόνες|κανόνων)",
    ),
    "tr": Override(
        # Turkish puts the object first and negates with a suffix ("unutmayın", don't forget):
        # a previous / above / all word is asked for, and the verb must not go on into "-ma".
        r"yok\s+say(?!ma)|görmezden\s+gel(?!me)|göz\s+ardı\s+et(?!me)|unut(?:un)?\b",
        r"\b(önceki|yukarıdaki|yukardaki|tüm|bütün|verilen|sistem)\s+(\S+\s+){0,2}?"
        r"(talimat|yönerge|komut|kural|direktif)\w*\s+(\S+\s+)??(VERB)",
    ),
    "id ms": Override(
        r"abaikan|lupakan|acuhkan|hiraukan",
        r"(?<!jangan )\b(VERB)\s+([a-z]+\s+){0,3}(instruksi|petunjuk|perintah|arahan|aturan)\b",
    ),
    "vi": Override(
        # "bỏ qua hướng dẫn" is also "skip the guide": "previous" or "above" is asked for.
        r"bỏ\s+qua|phớt\s+lờ|lờ\s+đi|quên",
        r"(?<!đừng )(?<!không )(VERB)\s+(tất\s+cả\s+|mọi\s+)?(các\s+|những\s+)?"
        r"(hướng\s+dẫn|chỉ\s+dẫn|chỉ\s+thị|lệnh|quy\s+tắc)\s+(trước|ở\s+trên|phía\s+trên|ban\s+đầu)",
    ),
    "tl": Override(
        r"huwag\s+pansinin|(?<!huwag )kalimutan",
        r"\b(VERB)\s+(\S+\s+){0,4}(tagubilin|utos|panuto|instruksyon)",
    ),
    "sw": Override(r"puuza|sahau", r"\b(VERB)\s+(\S+\s+){0,3}(maagizo|maelekezo|amri|sheria)\b"),
    "ar": Override(
        r"تجاهل|تجاهلي|تجاهلوا|انس|انسى|انسي|اهمل|أهمل",
        r"(?<!\S)(VERB)\s+(\S+\s+){0,2}?\S*(التعليمات|تعليمات|الأوامر|أوامر|الإرشادات|التوجيهات)",
        spaced=False,
    ),
    "fa": Override(
        r"نادیده\s+بگیر|فراموش\s+کن",
        r"(دستور|دستورالعمل|قوانین|رهنمود|فرمان)\S*\s+(\S+\s+){0,2}?(را\s+)?(VERB)",
        spaced=False,
    ),
    "he": Override(
        r"התעלם|התעלמי|התעלמו|שכח|שכחי|שכחו",
        r"(?<!\S)(VERB)\s+(\S+\s+){0,2}?\S*(הוראות|הנחיות|פקודות)",
        spaced=False,
    ),
    "hi": Override(
        r"अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल\s+जा",
        r"(पिछले|पिछली|पूर्व|ऊपर\s+के|ऊपर\s+दिए\s+गए|सभी)\s+(\S+\s+)?"
        r"(निर्देश|निर्देशों|आदेश|आदेशों|नियम|नियमों)\s+(को\s+)?(VERB)(?!\s+(न|मत)\s)",
        spaced=False,
    ),
    "th": Override(
        r"เพิกเฉย|ละเว้น|ไม่สนใจ|ลืม",
        r"(VERB)(ต่อ)?\s*(คำสั่ง|คำแนะนำ|ข้อกำหนด|กฎ)(ทั้งหมด)?\s*(ก่อนหน้า|ข้างต้น|เดิม)",
        spaced=False,
    ),
    "ko": Override(
        r"무시|잊어|잊으",
        r"(이전|위의|앞의|기존|모든|지금까지의)\s*(\S+\s+)?(지시|지침|명령|규칙)\S*\s+(모두\s+|전부\s+)?"
        r"(VERB)(?!하지\s*(마|않|말))",
        spaced=False,
    ),
    "zh": Override(
        r"忽略|无视|忘记|忘掉|忽視|無視|忘記",
        r"(VERB)(掉)?(之前|以上|上面|先前|前面|所有|全部)?的?(所有|全部)?"
        r"(指令|指示|说明|說明|提示|规则|規則)",
        spaced=False,
    ),
    "ja": Override(
        r"無視|忘れ",
        r"(以前|前|上記|これまで)の(すべての)?(指示|命令|ルール)を(VERB)",
        spaced=False,
    ),
}

# How far from its verb an override's other words reach, in characters.
_REACH = 200


@dataclass(frozen=True)
class GatedPattern:
    """The overrides searched only around their verbs: one pass over the text for the verbs,
    then the full patterns over the stretches near them, merged, so a page costs one cheap scan
    (two dozen languages' full patterns over every position cost several times the old rule)."""

    gate: re.Pattern[str]
    pattern: re.Pattern[str]

    def search(self, text: str) -> re.Match[str] | None:
        spans: list[list[int]] = []
        for hit in self.gate.finditer(text):
            start, end = max(0, hit.start() - _REACH), hit.end() + _REACH
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([start, end])
        for start, end in spans:
            if match := self.pattern.search(text, start, end):
                return match
        return None


def _gated(overrides: dict[str, Override]) -> GatedPattern:
    spaced = "|".join(o.verbs for o in overrides.values() if o.spaced)
    unspaced = "|".join(o.verbs for o in overrides.values() if not o.spaced)
    whole = "|".join(f"(?:{o.pattern.replace('VERB', o.verbs)})" for o in overrides.values())
    return GatedPattern(re.compile(rf"\b(?:{spaced})|(?:{unspaced})", re.I), re.compile(whole, re.I))


IGNORE_INSTRUCTIONS = _gated(OVERRIDES)
