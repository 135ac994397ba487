"""Runs the detectors over an action or an observation and folds their findings into a
verdict. It fails closed: an action that cannot be parsed and a detector that errors both give
`confirm` with the reason, never `allow`. A confirmation in the action does not count here: only
the router's own challenge lifts a confirm (safety/confirmations.py, applied in core)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ..config import Limits
from ..config.safety import AgentPolicy, ConfirmCategory, SafetySpec, UserProfile, same_name
from ..embeddings import Encoders, ScreenReader
from ..embeddings.image_input import LoadedImage
from ..errors import InputError
from ..image_files import ImageFiles
from ..images import NO_FILES, load_images
from ..trust import Integrity
from ..turns import ChatMessage, ImageUrl, ImageUrlPart
from .actions import (
    Action,
    Click,
    FileWrite,
    Navigate,
    Passive,
    SendMessage,
    Shell,
    ToolCallAction,
    TypeText,
    describe,
    parse_action,
)
from .alignment import TaskAlignment
from .detectors import deputy, files, navigation, secrets, shell
from .detectors.deputy_clip import ClipTargetReader
from .detectors.escalation import EscalationDetector
from .detectors.injection import InjectionDetector
from .findings import Evidence, Finding, Outcome, clip_text
from .policy_rules import category_findings, trust_findings
from .profile import check_profile
from .provenance import SessionHistory
from .provenance_rules import ProvenanceRules
from .side_effects import CATEGORY, SideEffects, ToolFacts
from .verdict import ObservationReport, Verdict

log = logging.getLogger("agent_router.safety")
Detector = Callable[[], Awaitable[list[Finding]]]


class SafetyChecker:
    def __init__(
        self, spec: SafetySpec, encoders: Encoders, limits: Limits, *, escalate_to: str | None = None
    ):
        self.spec = spec
        self.limits = limits
        self.escalate_to = escalate_to
        self.text = encoders.text
        self.reader: ScreenReader | None = encoders.ocr.encoder if encoders.ocr else None  # type: ignore[assignment]
        self._ocr_lock = threading.Lock()  # one OCR engine, one caller at a time
        clip = encoders.clip_model
        self.clip_reader = ClipTargetReader(clip) if clip is not None else None
        self.injection = InjectionDetector(encoders.text, spec.injection_threshold, spec.max_text_chars)
        self.escalation = EscalationDetector(encoders.text, spec.escalation_threshold)
        self.provenance = ProvenanceRules(
            self.injection, SideEffects(encoders.text), TaskAlignment(encoders.text, spec.alignment_threshold)
        )

    async def check_action(
        self,
        raw: Any,
        agent_id: str | None = None,
        user_texts: list[str] | None = None,
        *,
        history: SessionHistory | None = None,
        tool: ToolFacts | None = None,
        profile: UserProfile | None = None,
        image_files: ImageFiles = NO_FILES,
    ) -> Verdict:
        """`history`: the session before this action as the agent lived it; with it, every
        argument is traced to where it first appeared. `tool`: what the catalog says about the
        called tool. `profile`: this session's user, laid over the agent's configured one.
        `image_files`: the server files a screenshot path may name (by default none)."""
        try:
            action = parse_action(raw)
        except InputError as exc:
            finding = Finding(
                rule="action.unparsed",
                outcome=Outcome.confirm,
                risk=0.5,
                message=f"the action could not be read: {exc}",
                evidence=Evidence(text=clip_text(str(exc)), field="action"),
            )
            return self._verdict(None, [finding], "do something that could not be read")
        policy = self.spec.policy(agent_id)
        findings: list[Finding] = []
        target: list[str] = []
        for name, detector in self._detectors(action, policy, user_texts or [], target, image_files):
            try:
                findings.extend(await detector())
            except Exception as exc:  # a broken detector must not turn into an allow
                log.exception("safety detector %s failed", name)
                findings.append(
                    Finding(
                        rule=f"{name}.error",
                        outcome=Outcome.confirm,
                        risk=0.5,
                        message=f"the {name} check failed ({exc.__class__.__name__}); a person should decide",
                        evidence=Evidence(detail={"error": str(exc)[:200]}),
                    )
                )
        findings.extend(
            check_profile(action, self.spec.rules, policy.profile.merged(profile), agent_id, user_texts or [])
        )
        categories = category_findings(action, policy, target)
        trace = None
        if history is not None:
            trace = await self.provenance.judge(action, history, tool)
            findings.extend(trace.findings)
            effect = trace.effect
            category = CATEGORY.get(effect.effect) if effect is not None else None
            if effect is not None and not effect.side_effecting and isinstance(action, ToolCallAction):
                categories = []  # a tool that only reads pays, sends and deletes nothing
            elif trace.requested and policy.waive_requested:
                categories = []  # the user's own words asked for it, with arguments that trace cleanly
                if category is ConfirmCategory.payment:  # the account paid is the target, not data sent
                    findings = [f for f in findings if f.rule != "secrets.bank_account"]
            elif category is not None and not any(f.category == category for f in categories):
                categories.extend(category_findings(action, policy, [category.value.replace("_", " ")]))
        findings.extend(categories)
        findings = [f for f in findings if f.category is None or f.category in policy.confirm]
        findings.extend(trust_findings(action, findings))
        verdict = self._verdict(action, findings, describe(action), target[0] if target else None)
        if trace is not None and trace.requested:
            verdict.rules.append("provenance.requested")  # why it passed
        return verdict

    async def check_observation(
        self, content: str, integrity: Integrity = Integrity.external
    ) -> ObservationReport:
        findings = await self.injection.scan(content, "content")
        flagged = bool(findings)
        return ObservationReport(
            flagged=flagged,
            findings=findings,
            integrity=Integrity.hostile if flagged else integrity,
            risk=max((f.risk for f in findings), default=0.0),
        )

    def _detectors(
        self,
        action: Action,
        policy: AgentPolicy,
        user_texts: list[str],
        target: list[str],
        image_files: ImageFiles,
    ) -> list[tuple[str, Detector]]:
        ctx = action.context
        protected = self.spec.protected_domains
        runs: list[tuple[str, Detector]] = []

        def add(name: str, fn: Callable[[], list[Finding]]) -> None:
            async def run() -> list[Finding]:
                return fn()

            runs.append((name, run))

        if isinstance(action, Shell):
            add("shell", lambda: shell.check_shell(action.command))
        if isinstance(action, Navigate):
            add("navigation", lambda: navigation.check_navigation(action.url, policy, protected))
        if ctx.url and not isinstance(action, Passive | Navigate):
            add("page", lambda: _page_findings(ctx.url or "", policy, protected))
        if ctx.app:
            add(
                "app",
                lambda: _listed(
                    ctx.app or "", policy.allowed_apps, policy.blocked_apps, "app", "action.context.app"
                ),
            )
        if isinstance(action, ToolCallAction):
            if action.server:
                add(
                    "server",
                    lambda: _listed(
                        action.server or "",
                        policy.allowed_servers,
                        policy.blocked_servers,
                        "server",
                        "action.server",
                    ),
                )
            add(
                "secrets",
                lambda: list(
                    secrets.check_outbound(str(action.arguments), None, policy, field="action.arguments")
                ),
            )
        if isinstance(action, TypeText):
            domain = navigation.host_of(ctx.url) if ctx.url else None
            add(
                "secrets",
                lambda: list(secrets.check_outbound(action.text, domain, policy, field="action.text")),
            )
        if isinstance(action, SendMessage):
            add("secrets", lambda: _message_findings(action, policy))
        if isinstance(action, FileWrite):
            add("file", lambda: files.check_file_write(action.path))
        if isinstance(action, Click | TypeText) and (ctx.screenshot or ctx.focused_label):
            runs.append(("deputy", lambda: self._deputy(action, target, image_files)))
        if ctx.screen_text:
            runs.append(
                (
                    "injection",
                    lambda: self.injection.scan(ctx.screen_text or "", "action.context.screen_text"),
                )
            )
        if user_texts:
            runs.append(("escalation", lambda: self.escalation.scan(user_texts)))
        return runs

    async def _deputy(
        self, action: Click | TypeText, target: list[str], image_files: ImageFiles
    ) -> list[Finding]:
        ctx = action.context
        read = None
        findings: list[Finding] = []
        if ctx.screenshot and isinstance(action, Click) and self.reader is not None:
            try:
                image = await anyio.to_thread.run_sync(_screenshot, ctx.screenshot, self.limits, image_files)
            except InputError as exc:
                return [
                    Finding(
                        rule="deputy.screenshot_unreadable",
                        outcome=Outcome.confirm,
                        risk=0.5,
                        message=f"the screenshot could not be read: {exc}",
                        evidence=Evidence(field="action.context.screenshot"),
                    )
                ]
            read = await anyio.to_thread.run_sync(self._read, image, action.x, action.y)
            if self.clip_reader is not None and ctx.intent:
                # Pixels and words are independent readings: either can catch the mismatch.
                check = functools.partial(
                    self.clip_reader.check,
                    radius=self.spec.deputy_radius,
                    wanted=deputy.intended_target(ctx.intent) or ctx.intent,
                )
                seen = await anyio.to_thread.run_sync(check, image.image, action.x, action.y)
                findings.extend(seen)
        label = read or ctx.focused_label
        if not label:
            return findings
        target.append(label)
        if not ctx.intent:
            return findings
        return findings + await deputy.compare(
            label,
            ctx.intent,
            text=self.text,
            field_name="action.context.screenshot" if read else "action.context.focused_label",
        )

    def _read(self, image: LoadedImage, x: int, y: int) -> str | None:
        assert self.reader is not None
        with self._ocr_lock:
            return deputy.read_target(self.reader, image.image, x, y, radius=self.spec.deputy_radius)

    def _verdict(
        self, action: Action | None, findings: list[Finding], what: str, target: str | None = None
    ) -> Verdict:
        decision = max((f.outcome for f in findings), key=lambda o: o.rank, default=Outcome.allow)
        rules = [f.rule for f in findings]
        risk = max((f.risk for f in findings), default=0.05)
        question = None
        if decision is Outcome.confirm:
            reasons = "; ".join(dict.fromkeys(f.message for f in findings if f.outcome is Outcome.confirm))
            question = f"The agent wants to {what}. {reasons[:600]}. Allow it?"
        escalate = any(f.escalate for f in findings) or risk >= self.spec.escalate_risk
        return Verdict(
            decision=decision,
            question=question,
            rules=rules,
            findings=findings,
            risk=risk,
            target=target,
            action_type=action.type if action else None,
            escalate=escalate,
            escalate_to=self.escalate_to if escalate else None,
        )


def _screenshot(value: str, limits: Limits, image_files: ImageFiles) -> LoadedImage:
    """A data URL, a file path (read where `image_files` allows), or bare base64 (what agents often
    send). Reads and decodes: run it on a worker thread."""
    is_path = value.startswith(("/", "~", "./", "file:")) and len(value) < 4096
    url = value if value.startswith("data:") or is_path else f"data:image/png;base64,{value}"
    message = ChatMessage(role="user", content=[ImageUrlPart(type="image_url", image_url=ImageUrl(url=url))])
    try:
        return load_images([message], limits.image_bytes, limits.image_pixels, files=image_files)[0]
    except InputError as exc:
        raise InputError([("action.context.screenshot", m) for _, m in exc.problems]) from None


def _page_findings(url: str, policy: AgentPolicy, protected: list[str]) -> list[Finding]:
    """Acting on a page: only a blocked or look-alike site matters, not the allowlist."""
    found = navigation.check_navigation(url, policy, protected, field="action.context.url")
    return [f for f in found if f.outcome is Outcome.deny]


def _listed(name: str, allowed: list[str], blocked: list[str], what: str, field: str) -> list[Finding]:
    evidence = Evidence(text=name, field=field)
    if any(same_name(name, b) for b in blocked):
        return [
            Finding(
                rule=f"policy.blocked_{what}",
                outcome=Outcome.deny,
                risk=0.9,
                message=f"the {what} {name!r} is blocked by policy",
                evidence=evidence,
            )
        ]
    if allowed and not any(same_name(name, a) for a in allowed):
        return [
            Finding(
                rule=f"policy.unlisted_{what}",
                outcome=Outcome.confirm,
                risk=0.5,
                message=f"the {what} {name!r} is not on this agent's allowed list",
                evidence=evidence,
            )
        ]
    return []


def _message_findings(action: SendMessage, policy: AgentPolicy) -> list[Finding]:
    text = f"{action.subject or ''}\n{action.body}"
    findings: list[Finding] = []
    for i, recipient in enumerate(action.to):
        domain = recipient.rsplit("@", 1)[1].lower() if "@" in recipient else None
        findings.extend(secrets.check_outbound(text, domain, policy, field=f"action.to[{i}]"))
    return findings
