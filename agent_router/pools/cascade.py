"""A route's cascade: the cheapest model first, its answer kept when it is confident enough,
else the next model is asked. Only the last step streams: an answer that may be thrown away
is not shown to the user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..config import ModelSpec
from ..config.pools import CascadeSpec
from .dispatch_errors import DispatchFailed, NoEndpoint
from .openai_call import OnDelta
from .results import Attempt, CascadeStep, DispatchOutcome

# Serve one step: (models, on_delta, logprobs) -> the first of the models that answered.
Serve = Callable[[list[str], OnDelta | None, bool], Awaitable[DispatchOutcome]]


async def run_cascade(
    cascade: CascadeSpec,
    models: list[str],
    serve: Serve,
    *,
    biggest: ModelSpec,
    on_delta: OnDelta | None,
) -> DispatchOutcome:
    """The kept step's outcome, with every step, every attempt, and the cost saved against
    `biggest` (the cascade's last model). The caller's other models back up the last step."""
    steps: list[CascadeStep] = []
    attempts: list[Attempt] = []
    spent = 0.0
    last = len(cascade.models) - 1
    for i, name in enumerate(cascade.models):
        tail = [m for m in models if m not in cascade.models] if i == last else []
        try:
            outcome = await serve([name, *tail], on_delta if i == last else None, i < last)
        except (NoEndpoint, DispatchFailed) as exc:
            attempts += getattr(exc, "attempts", [])
            steps.append(
                CascadeStep(
                    model=name,
                    endpoint=None,
                    mean_logprob=None,
                    threshold=cascade.threshold,
                    kept=False,
                    cost_usd=0.0,
                )
            )
            if i == last:
                raise DispatchFailed(attempts, [str(exc)]) from None
            continue
        attempts += outcome.attempts
        spent += outcome.cost_usd
        confidence = outcome.mean_logprob
        confident = confidence is not None and confidence >= cascade.threshold
        kept = i == last or confident
        steps.append(
            CascadeStep(
                model=outcome.model,
                endpoint=outcome.endpoint,
                mean_logprob=outcome.mean_logprob,
                threshold=cascade.threshold,
                kept=kept,
                cost_usd=outcome.cost_usd,
            )
        )
        if kept:
            outcome.cost_saved_usd = (
                biggest.cost.usd(outcome.prompt_tokens, outcome.completion_tokens) - spent
            )
            outcome.cost_usd = spent
            outcome.cascade, outcome.attempts = steps, attempts
            if on_delta is not None and i < last:
                await on_delta(outcome.answer)
            return outcome
    raise AssertionError("the last cascade step always returns or raises")
