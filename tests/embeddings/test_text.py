from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import torch

from agent_router.config import TextEncoderSpec
from agent_router.embeddings import (
    BUNDLED,
    AsyncEncoder,
    MiniLMEncoder,
    OnnxMiniLMEncoder,
    Placement,
    load_text_encoder,
    resolve_placement,
)
from agent_router.embeddings.onnx_text import INT8_FORMAT
from agent_router.embeddings.text import model_folder


def int8_weight_range(graph: Path) -> int:
    """The largest magnitude among a quantized graph's int8 weight matrices."""
    import onnx
    from onnx import numpy_helper

    weights = (numpy_helper.to_array(t) for t in onnx.load(str(graph)).graph.initializer)
    return max(int(np.abs(w.astype(np.int32)).max()) for w in weights if w.dtype == np.int8 and w.ndim == 2)


def test_vectors_are_unit_length_and_meaningful(app):
    a, b, c = app.encoders.text.encode_sync(
        ["How do I reverse a list in Python?", "Reverse a Python list", "Book a table for two"]
    )
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


def test_start_up_encoding_works_without_a_cache(app):
    uncached = AsyncEncoder(app.encoders.text.encoder, key=str, max_batch=8, cache_size=0)
    a, b, again = uncached.encode_sync(["route me", "something else", "route me"])
    assert a.shape == (384,) and np.array_equal(a, again) and not np.array_equal(a, b)
    uncached.close()


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
    placement = resolve_placement("cpu")
    assert placement.dtype == torch.float32 and not placement.is_cuda
    if not torch.cuda.is_available():
        assert resolve_placement("auto") == placement
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_placement("cuda")


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


def test_the_onnx_runtime_gives_the_torch_vectors(onnx_cache):
    folder = model_folder(BUNDLED)
    texts = ["short", "a somewhat longer sentence that needs more padding tokens", "def f(x): return x"]
    torch_vectors = MiniLMEncoder(folder, resolve_placement("cpu")).encode(texts)
    onnx_vectors = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache).encode(texts)
    for x, y in zip(torch_vectors, onnx_vectors, strict=True):
        assert y.dtype == np.float32 and np.abs(x - y).max() < 1e-5


def test_the_exported_graph_is_reused_and_a_damaged_one_replaced(onnx_cache):
    folder = model_folder(BUNDLED)
    first = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache)
    written = first.graph.stat().st_mtime_ns
    assert OnnxMiniLMEncoder(folder, cache_dir=onnx_cache).graph.stat().st_mtime_ns == written
    first.graph.write_bytes(b"not an onnx graph")
    repaired = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache)
    assert np.allclose(repaired.encode(["hello"])[0], first.encode(["hello"])[0], atol=1e-6)
    assert [p.name for p in onnx_cache.iterdir()] == [first.graph.name]  # no partial files left


def test_int8_weights_keep_the_vectors_close_in_a_space_of_their_own(onnx_cache):
    folder = model_folder(BUNDLED)
    texts = [
        "short",
        "Reverse a Python list in place",
        "def f(x):\n    return sorted(x)[::-1]",
        "Book a table for two at eight tonight",
    ]
    fp32 = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache)
    int8 = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache, int8=True)
    assert int8.graph != fp32.graph and int8.graph.stat().st_size < fp32.graph.stat().st_size / 3
    assert int8.name == f"{fp32.name}:{INT8_FORMAT}"  # persisted vectors of one are never read as the other's
    assert int8_weight_range(int8.graph) <= 64  # 7 bits: no CPU saturates their pair sums in int16
    exact, quantized = fp32.encode(texts), int8.encode(texts)
    for x, y in zip(exact, quantized, strict=True):
        assert y.dtype == np.float32 and np.linalg.norm(y) == pytest.approx(1, abs=1e-5)
        assert 0.97 < x @ y < 0.99999  # close, and really quantized
    assert quantized[1] @ quantized[2] > quantized[1] @ quantized[3]  # meaning survives
    for text, vector in zip(texts, quantized, strict=True):  # its pass-mates change nothing
        assert np.array_equal(int8.encode([text])[0], vector)
    side_by_side = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache, int8=True, threads=3)
    many = [f"{text} ({k})" for k in range(4) for text in texts]
    singles = [int8.encode([t])[0] for t in many]
    assert all(np.array_equal(x, y) for x, y in zip(side_by_side.encode(many), singles, strict=True))
    int8.graph.write_bytes(b"damaged")
    again = OnnxMiniLMEncoder(folder, cache_dir=onnx_cache, int8=True)
    assert np.allclose(again.encode(texts)[1], quantized[1], atol=1e-6)


def test_the_runtime_follows_the_device(onnx_cache):
    default = load_text_encoder(TextEncoderSpec(onnx_cache=onnx_cache), resolve_placement("cpu"))
    assert isinstance(default, OnnxMiniLMEncoder) and default.name.endswith(INT8_FORMAT)
    fp32 = load_text_encoder(TextEncoderSpec(runtime="onnx", onnx_cache=onnx_cache), resolve_placement("cpu"))
    assert isinstance(fp32, OnnxMiniLMEncoder) and not fp32.name.endswith(INT8_FORMAT)
    assert isinstance(
        load_text_encoder(TextEncoderSpec(runtime="torch"), resolve_placement("cpu")), MiniLMEncoder
    )
    blocked = onnx_cache / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    cpu = resolve_placement("cpu")
    assert isinstance(load_text_encoder(TextEncoderSpec(onnx_cache=blocked), cpu), MiniLMEncoder)
    for runtime in ("onnx", "onnx-int8"):  # asked for by name: no silent fallback
        with pytest.raises(OSError):
            load_text_encoder(TextEncoderSpec(runtime=runtime, onnx_cache=blocked), cpu)
    blocked.unlink()
    gpu = Placement("cuda")
    with pytest.raises(ValueError, match="encoders.text.runtime: onnx-int8 runs on the CPU only"):
        load_text_encoder(TextEncoderSpec(runtime="onnx-int8"), gpu)
