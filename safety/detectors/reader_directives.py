"""Text that turns to the AI reading it: a note addressed to the assistant (in the languages the
other rules read), "if you are an AI", an AI "reading this page", a dictated answer ("respond
only with ...", "include the phrase '...' in your response"), a claim about what the user
"really" wants, or an override announced by a system.

A document written for people has no reason to say any of this to a model, whatever it asks
for: these rules match the address and the dictation, not the payload, so they hold for goals
no rule lists. Each is written from that mechanism, not from any benchmark's phrasing."""

from __future__ import annotations

import re

# Who a planted instruction addresses, as the English rule in injection.py names it.
_NOTE_TO_AI = (
    # es / pt / it
    r"\b(nota|mensaje|mensagem|messaggio|aviso|avviso|atenci[oó]n|aten[cç][aã]o|attenzione|"
    r"instrucci[oó]n(es)?|instru[cç][oõ]es|istruzion[ei])\s+(para|al|a la|ao|à|per|all[ao]?|a)\s+"
    r"(el\s+|la\s+|o\s+|a\s+|l['’])?(asistente|assistente|ia|agente|modelo|modello|chatbot|llm)\b"
    # fr
    r"|\b(note|message|avis|attention|instructions?)\s+(pour|à)\s+(l['’]|le\s+|la\s+)?"
    r"(assistant|ia|agent|mod[eè]le|chatbot|llm)\b"
    # de
    r"|\b(hinweis|nachricht|notiz|achtung|anweisung(en)?|mitteilung)\s+(f[üu]r|an)\s+"
    r"(den\s+|die\s+|das\s+)?(ki|ki-\w+|assistent\w*|agent\w*|modell|sprachmodell|chatbot|llm)\b"
    # ru
    r"|(примечание|сообщение|внимание|инструкци[яи])\s+(для\s+)?(ии|ассистент\w*|агент\w*|модел\w*|"
    r"нейросет\w*|чат-?бот\w*)"
    # zh / ja
    r"|(给|致)?(ai|人工智能|ai助手|助手|智能体|智能助手|大模型)(请注意|注意|的(指令|指示|消息|说明))"
    r"|(给|致)(ai|人工智能|助手|智能体|大模型)[:：]"
    r"|(ai|アシスタント|エージェント|チャットボット|言語モデル)(への|に|へ)(の)?(指示|メッセージ|注意|お知らせ)"
)
_MODEL = (
    r"(ai|a\.i\.|llms?|gpt|chatgpt|claude|gemini|language models?|ai (assistant|agent|model|system)s?|"
    r"chatbots?|automated (assistant|agent|system)s?)"
)
_AI_READER = (
    rf"\b(if|when|whenever) you( are|'re) an? {_MODEL}\b"
    rf"|\b{_MODEL},? (that|which|who)?\s*(is |are )?(reading|processing|summari[sz]ing|analy[sz]ing|"
    r"parsing|scanning|browsing|viewing|reviewing) (this|these)\b"
)
_ANSWER = r"(response|reply|answer|output|summary)"
_DICTATED = (
    r"\b(respond|reply|answer|output)\s+(only|solely|exclusively)\s+with\b"
    r"|\b(say|print|output|write|respond with|reply with|answer with)\s+(only|exactly)\s*[:\"'“‘`]"
    r"|\binclude\s+(the\s+)?(exact\s+)?(word|phrase|string|text|sentence|token|code|marker)\s*[:\"'“‘`]"
    rf"[^\"'”’`\n]{{1,80}}[\"'”’`]\s*(in|into|at the (start|end|beginning) of)\s+(your|the|every)\s+{_ANSWER}"
    rf"|\b(in|at the (start|end|beginning) of)\s+(your|every)\s+{_ANSWER},?\s+(always\s+)?(include|mention|"
    r"say|write|add|recommend)\b"
    rf"|\bthe\s+{_ANSWER}\s+you\s+(produce|generate|write|give|return|create)\s+"
    r"(must|should|has to|needs? to)\b"
)
_HIJACK = (
    r"\b(the\s+)?user['’]?s?\s+(real|actual|true|hidden|updated)\s+(request|intent(ion)?|instructions?|"
    r"task|goal|wish|question)\s+(is|was|are)\b"
    r"|\bthe user (actually|really|secretly) wants you to\b"
    r"|\b(system|admin(istrator)?|developer|security|priority|emergency)\s+override\b"
)

READER_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("injection.addresses_agent", re.compile(_NOTE_TO_AI, re.I)),
    ("injection.addresses_agent", re.compile(_AI_READER, re.I)),
    ("injection.dictates_answer", re.compile(_DICTATED, re.I)),
    ("injection.task_hijack", re.compile(_HIJACK, re.I)),
]
