"""Judges an action against the session it was taken in. A side-effecting action whose target
comes from instructions planted in external content is denied; one the user's request does not
call for, in a turn steered by external content or aimed at a target only external content
named, needs the user's yes; data copied from tool output and sent out by such a turn is
denied. An action the user asked for, with arguments that trace to the user or to clean
content, is marked requested (the policy may then skip the category confirmation)."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

from ..trust import Integrity
from .actions import (
    Action,
    Click,
    FileWrite,
    Navigate,
    SendMessage,
    Shell,
    ToolCallAction,
    TypeText,
    action_words,
)
from .alignment import Alignment, TaskAlignment, stem
from .detectors.injection import InjectionDetector
from .findings import Evidence, Finding, Outcome, clip_text
from .provenance import TARGETS, Kind, Region, Regions, SessionHistory, Trace, traces
from .side_effects import Effect, SideEffects, ToolEffect, ToolFacts, name_words

REGION_BEFORE, REGION_AFTER = 20, 1200  # an injection's goal follows its wrapper's first words
KEY_LINE = re.compile(r"""\n( *)(- +)?"?[A-Za-z_][\w-]*"? *:(\s|$)""")
JSON_KEY = re.compile(r""""\s*,\s*"[A-Za-z_][\w-]*"\s*:""")
GENERIC = {
    "most",
    "recent",
    "all",
    "list",
    "info",
    "information",
    "details",
    "data",
    "item",
    "items",
    "by",
    "name",
}


@dataclass(frozen=True)
class Judgement:
    findings: list[Finding]
    requested: bool
    effect: ToolEffect | None


class ProvenanceRules:
    def __init__(self, injection: InjectionDetector, effects: SideEffects, alignment: TaskAlignment):
        self.injection = injection
        self.effects = effects
        self.alignment = alignment
        self._regions: OrderedDict[str, list[Region]] = OrderedDict()

    async def judge(self, action: Action, history: SessionHistory, facts: ToolFacts | None) -> Judgement:
        effect = await self._effect(action, facts)
        if effect is None:
            return Judgement([], False, None)
        regions = await self._injected_regions(history)
        found = traces(action, history, regions)
        alignment = await self.alignment.check(effect, _phrase(action, effect, facts), history.user_texts())
        findings = _rules(effect, found, history, alignment, regions)
        injected = any(t.injected for t in found)
        # Asked for, and every target traces to the session: an invented account is not the user's.
        traced = all(t.first is not None for t in found if t.argument.kind in TARGETS)
        requested = effect.side_effecting and alignment.asked and traced and not injected and not findings
        return Judgement(findings, requested, effect)

    async def _effect(self, action: Action, facts: ToolFacts | None) -> ToolEffect | None:
        match action:
            case ToolCallAction():
                return await self.effects.classify(action.tool, list(action.arguments), facts)
            case SendMessage():
                return ToolEffect(Effect.send, "it sends a message", ("send", action.channel or "message"))
            case Navigate():
                return ToolEffect(Effect.read, "it opens a page", ("open", "page"))
            case Shell() | FileWrite():
                return ToolEffect(
                    Effect.write, f"a {action.type.replace('_', ' ')}", tuple(action.type.split("_"))
                )
            case TypeText() | Click():
                return ToolEffect(
                    Effect.write, "it acts on the screen", tuple(name_words(action.context.intent or ""))
                )
        return None  # looking, scrolling and pressing keys carry no argument to trace

    async def _injected_regions(self, history: SessionHistory) -> Regions:
        """Spans of non-user entries that give the agent instructions; scanned once per text."""
        out: dict[int, list[Region]] = {}
        for i, entry in enumerate(history.entries):
            if entry.from_user or not entry.is_origin or entry.integrity.at_least(Integrity.known):
                continue
            if entry.integrity is Integrity.hostile:
                out[i] = [Region(0, len(entry.text), True)]
                continue
            spans = await self._scan(entry.text)
            if spans:
                out[i] = spans
        return out

    async def _scan(self, text: str) -> list[Region]:
        key = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        if key in self._regions:
            self._regions.move_to_end(key)
            return self._regions[key]
        findings = [f for f in await self.injection.scan(text, "session") if f.rule != "injection.truncated"]
        # Rules name the words that address the agent (strong); a chunk merely similar to a
        # known injection may be a document's own request, such as a bill asking to be paid.
        strong = any(f.rule != "injection.similar_to_known" for f in findings)
        spans = []
        for f in findings:
            if strong and f.rule == "injection.similar_to_known":
                continue
            offset = f.evidence.detail.get("offset")
            start = max(0, offset - REGION_BEFORE) if isinstance(offset, int) else 0
            end = _field_end(text, offset) if isinstance(offset, int) else len(text)
            spans.append(Region(start, end, strong))
        self._regions[key] = spans
        if len(self._regions) > 4096:
            self._regions.popitem(last=False)
        return spans


def _field_end(text: str, offset: int) -> int:
    """Planted text ends where the record it sits in moves on to its next field: a key line no
    deeper than the field that holds it (YAML, `key: value` text), or a JSON key."""
    limit = min(len(text), offset + REGION_AFTER)
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:limit].split("\n", 1)[0]
    indent = len(line) - len(line.lstrip(" "))
    deepest = indent if KEY_LINE.match("\n" + line) else indent - 1
    for m in KEY_LINE.finditer(text, offset + 1, limit):
        if len(m.group(1)) <= deepest:
            return m.start()
    json_key = JSON_KEY.search(text, offset + 1, limit)
    return json_key.start() if json_key else limit


def _phrase(action: Action, effect: ToolEffect, facts: ToolFacts | None) -> str:
    """The action in words for the similarity check: a tool's name and first sentence of its
    description, or what the agent says it is doing."""
    described = (facts.description.split(". ")[0] if facts and facts.description else "").strip()
    if isinstance(action, ToolCallAction):
        return f"{' '.join(effect.words)}. {described}"[:300]
    return (action_words(action) or action.type.replace("_", " "))[:300]


def _finding(rule: str, outcome: Outcome, risk: float, message: str, text: str, field: str) -> Finding:
    """The trace goes into the message too: the confirmation question shows it to the user."""
    return Finding(
        rule=rule,
        outcome=outcome,
        risk=risk,
        message=clip_text(f"{message}: {text}", 400),
        escalate=outcome is Outcome.deny,
        evidence=Evidence(text=clip_text(text, 300), field=field),
    )


def _rules(
    effect: ToolEffect,
    found: list[Trace],
    history: SessionHistory,
    alignment: Alignment,
    regions: Regions,
) -> list[Finding]:
    acting = effect.side_effecting
    last_user = history.last_user_index()
    steered = [i for i in regions if i > last_user]
    targets = [t for t in found if t.argument.kind in TARGETS]
    # A request merely like an injection's counts only when the user did not ask for the action.
    planted = [t for t in found if (t.injected or (t.suspect and not alignment.asked)) and _telling(t)]
    injected_targets = [t for t in targets if t in planted]
    if acting and injected_targets:
        t = injected_targets[0]
        return [
            _finding(
                "provenance.injected_target",
                Outcome.deny,
                0.9,
                "the action's target comes from instructions inside external content",
                t.explain(history),
                t.argument.field,
            )
        ]
    injected = [t for t in planted if t.argument.kind is not Kind.amount]
    if injected:
        t = injected[0]
        outcome = Outcome.deny if acting and not alignment.asked else Outcome.confirm
        return [
            _finding(
                "provenance.injected_argument",
                outcome,
                0.8,
                "an argument of the action comes from instructions inside external content",
                t.explain(history),
                t.argument.field,
            )
        ]
    named = [t for t in targets if t.external and _user_named_another(t, history)]
    if acting and named and alignment.asked and effect.effect in (Effect.send, Effect.pay):
        t = named[0]  # the user asked to send or pay, and said to whom: not to this one
        return [
            _finding(
                "provenance.external_target",
                Outcome.confirm,
                0.7,
                f"{effect.effect.value} to a target other than the one the user named",
                f"{t.explain(history)}; {alignment.reason}",
                t.argument.field,
            )
        ]
    if alignment.asked:
        return []
    external_targets = [t for t in targets if t.external or (t.first is None and steered)]
    copied = [t for t in found if t.argument.kind is Kind.payload and t.external]
    if acting and steered and copied and effect.effect in (Effect.send, Effect.pay):
        t = copied[0]
        return [
            _finding(
                "provenance.exfiltration",
                Outcome.deny,
                0.9,
                "sends data read from tool output in a turn steered by external content, unasked",
                f"{t.explain(history)}; {alignment.reason}",
                t.argument.field,
            )
        ]
    # What it acts on, named only by external content ("book Casa Azul" in a review, when the
    # user asked for a list): no address or account to trace, but the object is the page's.
    external_objects = [t for t in found if t.argument.kind is Kind.argument and t.external]
    if acting and (steered or external_targets or external_objects):
        shown = external_targets or external_objects
        why = shown[0].explain(history) if shown else _steering(history, steered)
        return [
            _finding(
                "provenance.unrequested",
                Outcome.confirm,
                0.7,
                f"{effect.effect.value} action the user's request does not call for",
                f"{why}; {alignment.reason}",
                "action",
            )
        ]
    if steered and not acting and not any(t.from_user for t in found):
        echoed = _echoes(effect, history, regions, steered)
        if echoed:
            return [
                _finding(
                    "provenance.steered_read",
                    Outcome.confirm,
                    0.5,
                    "reads data the user's request does not call for, as external content asked",
                    f"{echoed}; {alignment.reason}",
                    "action",
                )
            ]
    return []


# Recipients and accounts as they are written in running text, to see whether the user named one.
NAMED = {
    Kind.recipient: re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    Kind.account: re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b"),
}


def _user_named_another(t: Trace, history: SessionHistory) -> bool:
    """The user's own words name a target of this kind, and not this one."""
    pattern = NAMED.get(t.argument.kind)
    return pattern is not None and any(pattern.search(text) for text in history.user_texts())


def _telling(t: Trace) -> bool:
    """Short ids and numbers sit in any listing near planted text; they prove nothing alone."""
    return t.argument.kind in TARGETS or len(t.value) > 4


def _echoes(effect: ToolEffect, history: SessionHistory, regions: Regions, steered: list[int]) -> str | None:
    """Whether the read's subject (the nouns of its name) is named by the steering text."""
    nouns = [w for w in effect.words if len(w) > 3 and w not in GENERIC]
    if not nouns:
        return None
    for i in steered:
        text = " ".join(history.entries[i].lowered[r.start : r.end] for r in regions[i])
        if all(stem(n) in text for n in nouns):
            return f"'{' '.join(nouns)}' is named by instructions in {history.entries[i].describe()}"
    return None


def _steering(history: SessionHistory, steered: list[int]) -> str:
    if not steered:
        return "no instruction in the session"
    return f"instructions appeared in {history.entries[steered[0]].describe()}"
