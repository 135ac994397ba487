"""Load figures read from a model server's Prometheus /metrics (vLLM and llama-server)."""

from __future__ import annotations

from dataclasses import dataclass

# metric name -> the figure it feeds; both servers' spellings, old and new
_FIGURES = {
    "vllm:num_requests_waiting": "waiting",
    "vllm:num_requests_running": "running",
    "vllm:gpu_cache_usage_perc": "kv_cache_usage",
    "vllm:kv_cache_usage_perc": "kv_cache_usage",
    "llamacpp:requests_deferred": "waiting",
    "llamacpp:requests_processing": "running",
    "llamacpp:kv_cache_usage_ratio": "kv_cache_usage",
}


@dataclass(frozen=True)
class LoadFigures:
    waiting: float | None = None
    running: float | None = None
    kv_cache_usage: float | None = None


def parse_metrics(text: str) -> LoadFigures:
    """Sums each figure over its label sets (one per model or engine); unknown lines are skipped."""
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_part, _, value_part = line.rpartition(" ")
        name = name_part.split("{", 1)[0].strip()
        figure = _FIGURES.get(name)
        if figure is None:
            continue
        try:
            value = float(value_part)
        except ValueError:
            continue
        totals[figure] = totals.get(figure, 0.0) + value
    return LoadFigures(**totals)
