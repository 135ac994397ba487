from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agent_router.embeddings import AsyncEncoder, resolve_placement


def test_vectors_are_unit_length_and_meaningful(app):
    a, b, c = app.encoders.text.encode_sync(
        ["How do I reverse a list in Python?", "Reverse a Python list", "Book a table for two"])
    assert a.shape == (384,) and a.dtype == np.float32
    assert np.linalg.norm(a) == pytest.approx(1, abs=1e-5)
    assert a @ b > a @ c + 0.3


def test_batched_and_single_passes_agree(app):
    encoder = app.encoders.text.encoder
    texts = ["short", "a somewhat longer sentence that needs more padding tokens"]
    batched = encoder.encode(texts)
    singles = [encoder.encode([t])[0] for t in texts]
    for x, y in zip(batched, singles, strict=True):
        assert np.abs(x - y).max() < 1e-4


async def test_concurrent_callers_share_forward_passes(app):
    fresh = AsyncEncoder(app.encoders.text.encoder, key=str, max_batch=64, cache_size=0)
    texts = [f"distinct request number {i} about invoices" for i in range(32)]
    results = await asyncio.gather(*(fresh.encode([t]) for t in texts))
    assert fresh.batcher.stats.items == 32
    assert fresh.batcher.stats.passes < 32  # requests arriving together rode one pass
    expected = app.encoders.text.encoder.encode(texts)
    for (got,), want in zip(results, expected, strict=True):
        assert np.abs(got - want).max() < 1e-4
    fresh.close()


async def test_repeated_inputs_come_from_the_cache(app):
    fresh = AsyncEncoder(app.encoders.text.encoder, key=str, max_batch=8, cache_size=16)
    await fresh.encode(["same text", "same text", "other"])
    assert fresh.batcher.stats.items == 2  # duplicates within a call are encoded once
    await fresh.encode(["same text"])
    assert fresh.batcher.stats.items == 2 and fresh.cache.hits >= 1
    fresh.close()


async def test_an_encoder_failure_reaches_every_caller_and_the_next_call_works(app):
    class Flaky:
        name = "flaky"
        calls = 0

        def encode(self, items):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("boom")
            return [np.zeros(2, np.float32) for _ in items]

    encoder = AsyncEncoder(Flaky(), key=str, max_batch=8, cache_size=0)
    with pytest.raises(RuntimeError, match="boom"):
        await encoder.encode(["x"])
    assert len(await encoder.encode(["y"])) == 1
    encoder.close()


def test_placement_is_cpu_float32_without_a_gpu():
    import torch

    placement = resolve_placement("cpu")
    assert placement.dtype == torch.float32 and not placement.is_cuda
    if not torch.cuda.is_available():
        assert resolve_placement("auto") == placement
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_placement("cuda")
