"""The text encoder as a remote /v1/embeddings service: the test double of a model server run as
its own process, serving the router's own MiniLM vectors (--embed minilm) or another space
(--embed hash), and a port nobody listens on for a dead service."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pools.doubles import Double, start_double
from processes import free_port

from agent_router.app import App, build_router_app
from agent_router.config import (
    ConfigError,
    RemoteEncoderSpec,
    RouterConfig,
    TextEncoderSpec,
    default_config,
    parse_config,
)
from agent_router.embeddings import (
    EncoderUnavailable,
    OnnxMiniLMEncoder,
    RemoteTextEncoder,
    build_encoders,
    load_text_encoder,
    resolve_placement,
)
from agent_router.embeddings.remote import WithFallback, remote_text_encoder
from agent_router.image_files import ImageFiles
from agent_router.images import turn_images
from agent_router.tools.vectors import VectorStore
from agent_router.turns import parse_messages

TURNS = [
    "Write a Python function that reverses a singly linked list in place.",
    "Book me a flight from Madrid to Rome on Friday morning.",
    "I got this Traceback and I do not know what it means",
    "hi there, how is your day going?",
    "Plan a trip to Japan in spring.",
    "Summarise the attached quarterly report in three bullet points.",
    "Prove that the square root of two is irrational.",
]


@pytest.fixture(scope="module")
def minilm() -> Iterator[Double]:
    double = start_double("encoder", "--embed", "minilm")
    yield double
    double.stop()


@pytest.fixture(scope="module")
def hashed() -> Iterator[Double]:
    double = start_double("hashed", "--embed", "hash")
    yield double
    double.stop()


@pytest.fixture(scope="module")
def wide() -> Iterator[Double]:
    """Another model's size: 768 dimensions, where the shipped heads were fitted on 384."""
    double = start_double("wide", "--embed", "hash", "--embed-dim", "768")
    yield double
    double.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    for name in ("minilm", "hashed"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def remote(url: str, **extra: Any) -> dict[str, Any]:
    """A remote section with quick retries and no rest after a failure, unless a test asks."""
    return {"url": url, "model": "all-MiniLM-L6-v2", "retries": 1, "backoff_s": 0.01, "cooldown_s": 0} | extra


def local_minilm() -> OnnxMiniLMEncoder:
    encoder = load_text_encoder(TextEncoderSpec(), resolve_placement("cpu"))
    assert isinstance(encoder, OnnxMiniLMEncoder)
    return encoder


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


def with_text_encoder(text: dict[str, Any]) -> RouterConfig:
    data = default_config().model_dump(mode="json", exclude_none=True)
    data["encoders"]["text"] = text
    data["encoders"]["ocr"] = {"enabled": False}
    return parse_config(data)


async def decisions(app: App) -> list[tuple[str | None, str, float]]:
    made = []
    for text in TURNS:
        parsed = parse_messages([{"role": "user", "content": text}])
        images = turn_images(parsed, app.config.limits, ImageFiles(anywhere=True))
        d = await app.router.route(parsed, images)
        made.append((d.route, d.model, d.confidence))
    return made


async def test_routing_through_the_service_decides_as_the_local_encoder(app: App, minilm: Double):
    through = build_router_app(with_text_encoder({"remote": remote(minilm.url)}))
    try:
        assert isinstance(through.encoders.text.encoder, RemoteTextEncoder)
        assert await decisions(through) == await decisions(app)
        assert minilm.stats()["embedded"] >= len(TURNS)  # the service did the encoding
    finally:
        through.close()


@pytest.mark.parametrize("encoding_format", ["base64", "float"])
def test_the_service_gives_the_local_vectors_in_order_across_batches(minilm: Double, encoding_format: str):
    spec = RemoteEncoderSpec(**remote(minilm.url, batch_size=3, encoding_format=encoding_format))
    encoder = RemoteTextEncoder(spec)
    local = local_minilm()
    try:
        before = minilm.stats()["requests"]
        vectors = encoder.encode(TURNS)
        assert minilm.stats()["requests"] - before == 3  # 7 texts in batches of 3
        for ours, theirs in zip(vectors, local.encode(TURNS), strict=True):
            assert np.allclose(ours, theirs, atol=1e-6)
    finally:
        encoder.close()


def test_a_dead_service_fails_the_start_with_the_cause_and_the_fix():
    url = dead_url()
    with pytest.raises(EncoderUnavailable) as failed:
        build_router_app(with_text_encoder({"remote": remote(url), "fallback": "fail"}))
    message = str(failed.value)
    assert url in message and "2 tries" in message and "ConnectError" in message
    assert "fallback: local" in message


def test_a_dead_service_at_start_leaves_the_process_on_the_local_encoder(caplog: pytest.LogCaptureFixture):
    url = dead_url()
    with caplog.at_level(logging.WARNING, "agent_router.embeddings"):
        encoders = build_encoders(with_text_encoder({"remote": remote(url), "fallback": "local"}).encoders)
    try:
        assert isinstance(encoders.text.encoder, OnnxMiniLMEncoder)
        assert "remote" not in encoders.text.encoder.name  # its caches are the local encoder's
        assert "encodes locally" in caplog.text and url in caplog.text
    finally:
        encoders.close()


def test_a_failing_service_falls_back_per_call_where_the_vectors_agree(minilm: Double):
    spec = TextEncoderSpec(remote=RemoteEncoderSpec(**remote(minilm.url)), fallback="local")
    local = local_minilm()
    encoder = remote_text_encoder(spec, lambda: local)
    try:
        assert isinstance(encoder, WithFallback) and encoder.name.startswith("text:remote:")
        minilm.set(fail=-1)
        vectors = encoder.encode(TURNS[:2])
        assert encoder.fallbacks == 1
        for ours, theirs in zip(vectors, local.encode(TURNS[:2]), strict=True):
            assert np.array_equal(ours, theirs)
    finally:
        encoder.close()


def test_a_service_of_another_space_fails_calls_instead_of_mixing(hashed: Double):
    spec = TextEncoderSpec(remote=RemoteEncoderSpec(**remote(hashed.url)), fallback="local")
    encoder = remote_text_encoder(spec, local_minilm)
    try:
        assert isinstance(encoder, RemoteTextEncoder)  # no local fallback paired with it
        hashed.set(fail=-1)
        with pytest.raises(EncoderUnavailable, match="HTTP 500"):
            encoder.encode(TURNS[:1])
    finally:
        encoder.close()


def test_retries_ride_out_a_brief_failure(hashed: Double):
    encoder = RemoteTextEncoder(RemoteEncoderSpec(**remote(hashed.url, retries=2)))
    try:
        hashed.set(fail=2, fail_status=503)
        before = hashed.stats()["requests"]
        (vector,) = encoder.encode(["still answered"])
        assert vector.shape == (384,) and np.isclose(np.linalg.norm(vector), 1.0)
        assert hashed.stats()["requests"] - before == 3
    finally:
        encoder.close()


def test_an_answer_that_is_not_embeddings_fails_with_what_came(hashed: Double):
    encoder = RemoteTextEncoder(RemoteEncoderSpec(**remote(hashed.url)))
    try:
        hashed.set(malformed=True)
        with pytest.raises(EncoderUnavailable, match="not an embeddings response"):
            encoder.encode(["anything"])
    finally:
        encoder.close()


def test_a_refused_key_is_not_retried(hashed: Double, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENCODER_KEY", "wrong")
    encoder = RemoteTextEncoder(RemoteEncoderSpec(**remote(hashed.url, retries=3, api_key_env="ENCODER_KEY")))
    try:
        hashed.set(require_key="right")
        with pytest.raises(EncoderUnavailable, match=r"after 1 try: HTTP 401"):
            encoder.encode(["anything"])
        monkeypatch.setenv("ENCODER_KEY", "right")
        with_key = RemoteTextEncoder(encoder.spec)
        assert len(with_key.encode(["anything"])) == 1
        with_key.close()
    finally:
        encoder.close()


def test_a_key_variable_that_is_not_set_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NO_SUCH_ENCODER_KEY", raising=False)
    with pytest.raises(EncoderUnavailable, match="NO_SUCH_ENCODER_KEY is not set"):
        RemoteTextEncoder(RemoteEncoderSpec(**remote(dead_url(), api_key_env="NO_SUCH_ENCODER_KEY")))


def test_tool_vectors_of_two_encoders_never_mix(tmp_path: Path):
    local_name = "text:all-MiniLM-L6-v2:int8-per-channel-7bit-v2"
    remote_name = "text:remote:all-MiniLM-L6-v2@http://encoder:8080/v1"
    texts = {"h1": "search the web", "h2": "read a file"}
    local = VectorStore(tmp_path, local_name)
    local.get_many(texts, lambda items: [np.ones(4, np.float32) for _ in items])
    served = VectorStore(tmp_path, remote_name)
    assert served.path != local.path
    served.get_many(texts, lambda items: [np.full(4, 2.0, np.float32) for _ in items])
    assert served.embedded == 2  # none of the local vectors were taken
    # A file that reaches another encoder's name (copied, or two names that make one file name)
    # is refused by the name stored inside it.
    shutil.copy(local.path, served.path)
    reread = VectorStore(tmp_path, remote_name)
    assert reread.vectors == {}
    assert VectorStore(tmp_path, "text:a/b").path != VectorStore(tmp_path, "text:a_b").path
    assert set(VectorStore(tmp_path, local_name).vectors) == {"h1", "h2"}


def test_heads_fitted_on_another_encoder_refuse_the_start_by_name(wide: Double):
    config = with_text_encoder({"remote": remote(wide.url)})
    headed = parse_config(
        {
            **config.model_dump(mode="json", exclude_none=True),
            "defaults": {"model": config.defaults.model, "head": "builtin"},
        }
    )
    with pytest.raises(ConfigError) as routing:
        build_router_app(headed)
    assert routing.value.issues[0].path == "defaults.head"
    assert "384-dimensional" in str(routing.value) and "gives 768" in str(routing.value)
    # The injection head reads character n-grams, not vectors: the safety checks need no refit.


def test_a_password_in_the_url_stays_out_of_the_name_and_the_errors():
    url = dead_url().replace("http://", "http://router:hunter2@")
    encoder = RemoteTextEncoder(RemoteEncoderSpec(**remote(url, retries=0)))
    try:
        with pytest.raises(EncoderUnavailable) as failed:
            encoder.encode(["anything"])
        assert "hunter2" not in str(failed.value) and "hunter2" not in encoder.name
        assert "router:***@127.0.0.1" in str(failed.value)
    finally:
        encoder.close()


def test_a_hanging_service_is_waited_for_once_then_rests(minilm: Double):
    spec = TextEncoderSpec(
        remote=RemoteEncoderSpec(**remote(minilm.url, timeout_s=0.5, retries=0, cooldown_s=3600)),
        fallback="local",
    )
    encoder = remote_text_encoder(spec, local_minilm)
    try:
        assert isinstance(encoder, WithFallback)
        minilm.set(hang=True)
        before = minilm.stats()["requests"]
        encoder.encode(TURNS[:1])  # waits out the timeout, then encodes locally
        encoder.encode(TURNS[1:2])  # the service rests: locally at once, no request sent
        assert minilm.stats()["requests"] - before == 1 and encoder.fallbacks == 2
        with pytest.raises(EncoderUnavailable, match="ReadTimeout.*not tried again until 3600 s"):
            encoder.remote.encode(TURNS[2:3])
    finally:
        encoder.close()
