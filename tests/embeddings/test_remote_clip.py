"""CLIP as a remote service: the test double runs the tests' tiny open_clip checkpoint in its own
process and answers requests that carry Infinity's `modality` field, so the router's images and
prompts are embedded there; the vectors, and the image kinds routing reads from them, match the
same checkpoint run in the router's process."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from builders import data_url, noise_photo, render_text_image
from pools.doubles import Double, start_double
from processes import free_port

from agent_router.config import (
    ClipSpec,
    ConfigError,
    EncodersSpec,
    RemoteEncoderSpec,
    default_config,
    parse_config,
)
from agent_router.embeddings import ClipEncoder, EncoderUnavailable, RemoteClipEncoder, build_encoders
from agent_router.embeddings.image_input import LoadedImage
from agent_router.images import decode_image
from agent_router.routing.image_kind import ClipKindClassifier

PROMPTS = ["a screenshot of a computer screen", "a photo", "a page of printed text"]


@pytest.fixture(scope="module")
def clip_double(tiny_clip_files: tuple[Path, Path]) -> Iterator[Double]:
    config_file, checkpoint = tiny_clip_files
    weights = ["--clip-checkpoint", str(checkpoint), "--clip-config", str(config_file)]
    double = start_double("clip", "--clip-model", "tiny-clip", *weights)
    yield double
    double.stop()


def pictures() -> list[LoadedImage]:
    images = [noise_photo(seed=3), render_text_image("Save  Cancel"), noise_photo((300, 500), seed=4)]
    raw = [base64.b64decode(data_url(image).split(",", 1)[1]) for image in images]
    return [decode_image(data, "image", 10**8, 10**8) for data in raw]


def encoders_with(clip: dict) -> EncodersSpec:
    return EncodersSpec(clip=ClipSpec(**clip), ocr={"enabled": False})


def test_remote_clip_gives_the_local_towers_vectors_and_image_kinds(
    tiny_clip_section: dict[str, str], clip_double: Double
):
    local = build_encoders(encoders_with(tiny_clip_section))
    remote = build_encoders(encoders_with({"remote": {"url": clip_double.url, "model": "tiny-clip"}}))
    try:
        here, there = local.clip_model, remote.clip_model
        assert isinstance(here, ClipEncoder) and isinstance(there, RemoteClipEncoder)
        assert there.name.startswith("clip:remote:tiny-clip@") and there.name != here.name
        images = pictures()
        for ours, theirs in zip(here.encode(images), there.encode(images), strict=True):
            assert np.allclose(ours, theirs, atol=1e-5)
        for ours, theirs in zip(here.encode_text(PROMPTS), there.encode_text(PROMPTS), strict=True):
            assert np.allclose(ours, theirs, atol=1e-5)
        kinds_here, kinds_there = ClipKindClassifier(here), ClipKindClassifier(there)
        for ours, theirs in zip(here.encode(images), there.encode(images), strict=True):
            assert kinds_here.classify(ours) == kinds_there.classify(theirs)
        assert clip_double.stats()["embedded"] >= 2 * len(images) + 2 * len(PROMPTS)
    finally:
        local.close()
        remote.close()


def test_a_dead_clip_service_fails_with_its_section_named():
    dead = f"http://127.0.0.1:{free_port()}/v1"
    clip = RemoteClipEncoder(RemoteEncoderSpec(url=dead, model="m", retries=0))
    try:
        with pytest.raises(EncoderUnavailable, match=r"^encoders.clip.remote: .*ConnectError"):
            clip.encode_text(["a photo"])
    finally:
        clip.close()


def test_clip_is_local_weights_or_a_service_not_both(tiny_clip_section: dict[str, str]):
    data = default_config().model_dump(mode="json", exclude_none=True)
    both = {**tiny_clip_section, "remote": {"url": "http://clip:7997", "model": "m"}}
    for clip in (both, {}):
        with pytest.raises(ConfigError, match="encoders.clip: .*model .*or remote"):
            parse_config({**data, "encoders": {"clip": clip}})
