"""Start-up vectors saved beside the ONNX graph: a warm start reads exactly what a pass gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent_router.config import TextEncoderSpec
from agent_router.embeddings import AsyncEncoder, OnnxMiniLMEncoder, load_text_encoder, resolve_placement

TEXTS = ["route this to the coder", "a photo of a cat", "delete every file in the home folder"]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export for the module; each test starts without saved vectors."""
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture
def cache(graphs: Path) -> Path:
    for saved in graphs.glob("*.vectors.npz"):
        saved.unlink()
    return graphs


def _front(cache: Path) -> AsyncEncoder:
    encoder = load_text_encoder(TextEncoderSpec(onnx_cache=cache), resolve_placement("cpu"))
    assert isinstance(encoder, OnnxMiniLMEncoder)
    return AsyncEncoder(encoder, key=str, max_batch=8, cache_size=0, saved=encoder.saved_vectors())


class Counting:
    """Counts the texts that reach the graph."""

    def __init__(self, encoder: OnnxMiniLMEncoder):
        self.encoder = encoder
        self.name = encoder.name
        self.texts = 0

    def encode(self, items: list[str]) -> list[np.ndarray]:
        self.texts += len(items)
        return self.encoder.encode(items)


def test_a_second_start_reads_the_vectors_the_first_computed(cache: Path):
    first = _front(cache)
    computed = first.encode_sync(TEXTS)
    assert first.saved is not None and first.saved.path.exists()
    second = _front(cache)
    counting = Counting(second.encoder)  # type: ignore[arg-type]
    second.encoder = counting
    again = second.encode_sync([*TEXTS, "a text no start has seen"])
    assert counting.texts == 1  # only the new text ran through the graph
    for x, y in zip(computed, again, strict=False):
        assert np.array_equal(x, y)
    assert np.array_equal(again[3], first.encoder.encode(["a text no start has seen"])[0])


def test_a_damaged_file_is_computed_afresh(cache: Path):
    first = _front(cache)
    computed = first.encode_sync(TEXTS)
    assert first.saved is not None
    first.saved.path.write_bytes(b"not an npz file")
    again = _front(cache).encode_sync(TEXTS)
    for x, y in zip(computed, again, strict=True):
        assert np.array_equal(x, y)


def test_fp32_passes_of_several_texts_save_nothing(cache: Path):
    encoder = load_text_encoder(TextEncoderSpec(runtime="onnx", onnx_cache=cache), resolve_placement("cpu"))
    assert isinstance(encoder, OnnxMiniLMEncoder) and encoder.saved_vectors() is None
