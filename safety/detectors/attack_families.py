"""Rules for attack families that have a shape of their own, whatever the wrapper around them:

- exfiltration through a rendered link or image: a markdown or HTML URL with a slot for the
  agent to fill (`?q={...}`, `[DATA]`, `<secret>`, `$VAR`), or an instruction to put the
  conversation, a secret or personal data into a URL;
- script injection in text that will be rendered: `javascript:` and `data:text/html` URLs, event
  handlers and script blocks that reach cookies, storage, dialogs or eval;
- persona and role overrides addressed to the assistant ("you are now ...", "developer mode",
  "answer without any restrictions"), and "ignore your previous instructions" in other
  languages (other_languages.py);
- requests for the system prompt or the instructions the model was given.

Each pattern is written from the family's mechanism, not from any benchmark's phrasing; a
finding names the text that matched."""

from __future__ import annotations

import re

from .other_languages import IGNORE_INSTRUCTIONS, Searcher

_YOU_ARE_NOW = (
    r"\byou(?:'re| are) now (?:(?:an?|the|my|in|playing|acting as)\s+)?(?:[\w-]+[\s,]+){0,3}?"
    r"(?:ai|assistant|model|bot|chatbot|character|persona|version|mode|entity|gpt|dan)\b|"
    r"\byou(?:'re| are) now (?:called|named|known as)\b|"
    r"\b(from now on,? (you|act|respond|answer|reply)|"
    r"you (will|shall|must|are going to) (now )?(act|behave|respond|answer|pretend|role-?play) as|"
    r"pretend (to be|you are|that you are) (an? |the )?([\w-]+ ){0,3}?(ai|assistant|model|bot|chatbot|"
    r"character|persona|gpt|dan|version)\b|role-?play as|stay in character|"
    r"act as (if you (are|were)|an? (unrestricted|unfiltered|uncensored|evil|rogue|different|new) )|"
    r"your new (role|goal|task|persona|identity|name) is|you must now)\b"
    r"|\b(ahora eres|a partir de ahora (eres|ser[aá]s|act[uú]a|responde)|tu es maintenant|"
    r"vous [eê]tes maintenant|du bist (jetzt|nun|ab sofort)|ab (jetzt|sofort) bist du|ora sei|"
    r"d'ora in poi (sei|agisci|rispondi)|agora voc[eê] [eé]|теперь ты)\b|你现在是|从现在开始你|あなたは今から"
)
# "Developer mode is on" is also a phone's or a program's setting: it counts when the sentence
# turns to a model or its own rules.
_TO_A_MODEL = (
    r"[^.\n]{0,80}\b(ai|assistant|model|llm|chatbot|gpt|chatgpt|respond|answer|reply|your (configuration|"
    r"instructions|prompt|system prompt|rules|guidelines|restrictions|filters))\b"
)
_MODES = (
    rf"\b((developer|dev|debug) mode\s+(is\s+)?(enabled|activated|on|unlocked){_TO_A_MODEL}"
    r"|(god|dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil) mode"
    r"\s+(is\s+)?(enabled|activated|on|unlocked)|(enable|activate|enter|switch to|unlock)\s+"
    r"(the\s+)?(developer|god|dan|jailbreak|unrestricted|unfiltered|uncensored|evil) mode|do anything now|"
    r"you\b[^.\n]{0,30}\b(have|has|with) no (restrictions|limitations|limits|filters|rules|guidelines|"
    r"ethics|morals|boundaries|content polic\w+)|"
    r"\b(answer|respond|reply|talk|speak|behave|operate)\w*\b[^.\n]{0,40}\b(without|free (of|from)|"
    r"no longer (bound|restricted|limited) by)\s+(any\s+)?(restrictions|limitations|filters|filtering|"
    r"censorship|guidelines|ethical|morals|moral|rules|policies|safety)"
    r"|\byou (have been|are now|were just) (jailbroken|freed from|unlocked|liberated|unshackled|"
    r"released from)\b)"
)
_EXTRACTION = (
    r"\b(reveal|print|show|output|repeat|display|tell me|give me|share|leak|dump|write out|recite|"
    r"copy|list|paste|spell out|what (is|are|were))\b[^.\n]{0,40}\b(system (prompt|message)|"
    r"(initial|hidden|original|secret|first) (prompt|instructions)|your (instructions|prompt|rules|"
    r"guidelines|directives|configuration)|(the )?(instructions|text|words|prompt) (above|you were given|"
    r"before this)|everything (above|before)|pre-?prompt|developer (message|instructions))"
    r"|\bwhat (were|have) you been (told|instructed)|\bwhat were you told\b"
    # the model's own prompt, whatever is to be done with it ("encode your system prompt in base64")
    r"|\byour (system (prompt|message)|(initial|hidden|original|secret|internal|first) "
    r"(prompt|instructions))\b"
    r"|\b(encode|translate|see|view|access|convert|quote)\b[^.\n]{0,40}\bthe (system (prompt|message)|"
    r"(initial|hidden|original|secret|internal) (prompt|instructions))\b"
)
_DATA_WORDS = (
    r"(data|chat|conversation|history|secret|password|token|key|summary|info|e-?mail|message|"
    r"context|input|prompt|answer|response|personal|private|user)"
)
# A slot in a URL's query for the agent to fill: in an image any slot (images render, and send, with no
# click); in a link one that names data, since templated documentation links are common.
_SLOT = r"(\{[^}\s]{0,40}\}|\[[^\]\n]{1,40}\]|<[^>\n]{1,40}>|%7B|%5B|%3C|\$\{?[A-Za-z_]+)"
_DATA_SLOT = (
    rf"(\{{[^}}\s]{{0,30}}{_DATA_WORDS}[^}}\s]{{0,30}}\}}"
    rf"|\[[^\]\n]{{0,30}}{_DATA_WORDS}[^\]\n]{{0,30}}\]"
    rf"|<[^>\n]{{0,30}}{_DATA_WORDS}[^>\n]{{0,30}}>)"
)
_URL = r"https?://[\w.~:/#@!$*+,;%-]*\?([\w.~:/#@!$*+,;%=-]*&)?[\w.%-]*="
_LINK_SLOT = (
    rf"!\[[^\]\n]{{0,80}}\]\(\s*{_URL}{_SLOT}"
    rf"|<img\b[^>]{{0,200}}\bsrc\s*=\s*[\"']?{_URL}{_SLOT}"
    rf"|\[[^\]\n]{{0,80}}\]\(\s*{_URL}{_DATA_SLOT}"
    rf"|<a\b[^>]{{0,200}}\bhref\s*=\s*[\"']?{_URL}{_DATA_SLOT}"
)
_DATA = (
    r"(conversation|chat|history|previous (messages|answers)|passwords?|personal (data|information|"
    r"details)|summary|user'?s? (data|information|details|name|address|messages))"
)
_VERB = r"\b(append|add|include|put|insert|encode|embed|replace|fill|attach|concatenate)(s|ed|ing)?\b"
_INTO_URL = (
    rf"\b{_VERB}[^.\n<]{{0,100}}?(?<!<)\b{_DATA}\b[^.\n<]{{0,80}}?"
    rf"\b(url|link|image|query(\s+string)?|parameter|endpoint)s?\b"
    rf"|\b(url|link|image|query(\s+string)?|parameter)s?\b[^.\n<]{{0,60}}?{_VERB}[^.\n<]{{0,60}}?\b{_DATA}\b"
)
_SINKS = (
    r"(document\.cookie|localStorage|sessionStorage|\b(alert|prompt|confirm|eval|atob)\s*[(`]|"
    r"fromCharCode|window\.onerror|document\.(location|write)|window\.location|\.src\s*=)"
)
_SCRIPT = (
    r"\bjavascript:(?!\s*void\b)|\bdata:text/html\b"
    rf"|<[a-z][a-z0-9]*\b[^>]{{0,200}}\son[a-z]+\s*=[^>]{{0,120}}?{_SINKS}"
    rf"|<script\b[^>]*>[^<]{{0,400}}{_SINKS}"
)

# An element styled out of sight that holds an order: the user sees nothing, the model reads it.
# (A hidden menu holds labels, not sentences that turn to a reader.)
_HIDDEN_STYLE = (
    r"(display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(px|pt|em)?\s*[;'\"]|"
    r"opacity\s*:\s*0(\.0+)?\s*[;'\"]|color\s*:\s*(white|#fff(fff)?|transparent)\s*[;'\"])"
)
_HIDDEN_ORDER = (
    rf"<[a-z][a-z0-9]*\b[^>]{{0,200}}style\s*=\s*['\"][^'\"]{{0,200}}{_HIDDEN_STYLE}[^>]{{0,200}}>"
    r"[^<]{0,200}?\b(when|if|whenever|always|never|you|please|ignore|disregard)\b[^<]{0,200}?"
    r"\b(say|tell|respond|reply|answer|send|forward|include|write|output|state|recommend|claim|mention|"
    r"ignore|delete|open|visit|call)\b"
)

# An order to undo a hiding and obey what it hid ("decode this and follow it", "read it backwards
# and do what it says"); "decode the JSON and run the tests" obeys nothing it decoded.
_DECODE_AND_OBEY = (
    r"\b(decode|decrypt|decipher|unscramble|reverse|translate|read (it|this|them|the \w+) backwards)\b"
    r"[^.\n]{0,60}?\b(and|then)\s+(then\s+)?(follow|execute|obey|carry out|act on|run|do)\b"
    r"(\s*:|\s+(it|them|that|this|the (instructions?|commands?|text|message|result)"
    r"|what(ever)? it (says|asks)))"
)

FAMILY_RULES: list[tuple[str, Searcher]] = [
    ("injection.ignore_instructions", IGNORE_INSTRUCTIONS),
    ("injection.role_change", re.compile(_YOU_ARE_NOW, re.I)),
    ("injection.unrestricted_mode", re.compile(_MODES, re.I)),
    ("injection.system_prompt", re.compile(_EXTRACTION, re.I)),
    ("injection.link_exfiltration", re.compile(_LINK_SLOT, re.I)),
    ("injection.link_exfiltration", re.compile(_INTO_URL, re.I)),
    ("injection.script_markup", re.compile(_SCRIPT, re.I)),
    ("injection.decode_and_obey", re.compile(_DECODE_AND_OBEY, re.I)),
    ("injection.hidden_markup", re.compile(_HIDDEN_ORDER, re.I)),
]
