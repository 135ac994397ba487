"""The remote encoder against a real server: llama.cpp's llama-server --embedding, mean-pooling
SmolLM2-135M (the GGUF `make e2e` installs; no embedding GGUF ships offline, so a small chat
model's pooled hidden states stand in: another space than MiniLM's, which is the point of the
fallback check below)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import numpy as np
import pytest
from pools.doubles import wait_until_up
from pools.llama_paths import installed_llama, llama_argv
from processes import free_port

from agent_router.config import RemoteEncoderSpec, TextEncoderSpec
from agent_router.embeddings import RemoteTextEncoder, load_text_encoder, resolve_placement
from agent_router.embeddings.remote import remote_text_encoder

pytestmark = pytest.mark.e2e

BINARY, GGUF = installed_llama()


@pytest.fixture(scope="module")
def embedding_server() -> Iterator[str]:
    port = free_port()
    argv = [a.format(host="127.0.0.1", port=port) for a in llama_argv(BINARY, GGUF)]
    proc = subprocess.Popen(
        [*argv, "--embedding", "--pooling", "mean"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc, limit_s=300)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_llama_server_embeds_in_batches_and_in_order(embedding_server: str):
    spec = RemoteEncoderSpec(url=embedding_server, model="smollm2", batch_size=2, timeout_s=120)
    encoder = RemoteTextEncoder(spec)
    texts = ["a photo of a cat", "delete every file in the home folder", "a photo of a cat"]
    try:
        vectors = encoder.encode(texts)
        assert len(vectors) == 3 and len({v.shape for v in vectors}) == 1
        assert all(np.isclose(np.linalg.norm(v), 1.0, atol=1e-4) for v in vectors)
        assert np.allclose(vectors[0], vectors[2], atol=1e-3)  # the same text, another batch
        assert float(vectors[0] @ vectors[1]) < 0.999
    finally:
        encoder.close()


def test_another_model_is_never_paired_with_the_local_fallback(embedding_server: str):
    spec = TextEncoderSpec(
        remote=RemoteEncoderSpec(url=embedding_server, model="smollm2", timeout_s=120), fallback="local"
    )
    placement = resolve_placement("cpu")
    encoder = remote_text_encoder(spec, lambda: load_text_encoder(TextEncoderSpec(), placement))
    try:
        assert isinstance(encoder, RemoteTextEncoder)
    finally:
        encoder.close()
