from __future__ import annotations

import numpy as np
import pytest
from builders import data_url, noise_photo, render_text_image

from agent_router.config import ClipSpec
from agent_router.embeddings import ClipEncoder, ScreenReader, resolve_placement
from agent_router.embeddings.clip import pixels_on_device
from agent_router.images import decode_image


def loaded(img, fmt="PNG"):
    import base64

    data = base64.b64decode(data_url(img, fmt).split(",", 1)[1])
    return decode_image(data, "test", 10**8, 10**8)


def test_clip_loads_a_checkpoint_and_embeds_both_towers_in_one_space(tiny_clip_files):
    config_file, checkpoint = tiny_clip_files
    spec = ClipSpec(model="tiny-clip", checkpoint=checkpoint, model_config_file=config_file)
    clip = ClipEncoder(spec, resolve_placement("cpu"))
    images = clip.encode([loaded(noise_photo(seed=1)), loaded(noise_photo(seed=2))])
    texts = clip.encode_text(["a photo", "a screenshot"])
    assert images[0].shape == texts[0].shape == (32,)
    assert np.linalg.norm(images[0]) == pytest.approx(1, abs=1e-4)
    assert not np.allclose(images[0], images[1])
    # Deterministic: the same checkpoint gives the same vectors.
    again = ClipEncoder(spec, resolve_placement("cpu")).encode([loaded(noise_photo(seed=1))])
    assert np.allclose(images[0], again[0], atol=1e-5)


@pytest.mark.parametrize("size", [(1280, 800), (600, 900), (150, 100)])
def test_device_preprocessing_matches_open_clips_own(tiny_clip_files, size):
    """The GPU path resizes on the device; run on the CPU here, it must agree with open_clip's
    PIL pipeline, landscape, portrait and upscaled alike."""
    import torch

    config_file, checkpoint = tiny_clip_files
    clip = ClipEncoder(
        ClipSpec(model="tiny-clip", checkpoint=checkpoint, model_config_file=config_file),
        resolve_placement("cpu"),
    )
    image = render_text_image(["Account settings", "Delete account", "Cancel"], size=size)
    reference = clip.preprocess(image).unsqueeze(0)
    on_device = pixels_on_device([image], clip.pixel_cfg, torch.device("cpu"))
    assert on_device.shape == reference.shape
    assert (on_device - reference).abs().mean() < 0.005  # normalised units: under half a grey level
    with torch.inference_mode():
        a, b = (
            torch.nn.functional.normalize(clip.model.encode_image(x), dim=-1) for x in (reference, on_device)
        )
    assert float((a * b).sum()) > 0.995


def test_clip_needs_weights_named_explicitly():
    with pytest.raises(ValueError, match="checkpoint"):
        ClipEncoder(ClipSpec(model="ViT-B-32"), resolve_placement("cpu"))


@pytest.mark.parametrize("engine", ["openvino", "onnxruntime"])
def test_screen_reader_finds_text_and_where_it_is(engine):
    img = render_text_image(["Account settings", "", "", "Delete account"], size=(800, 400))
    reader = ScreenReader(engine=engine)
    screen = reader.read(img)
    assert reader.name == f"ocr:rapidocr:{engine}"
    assert "Account settings" in screen.text and "Delete account" in screen.text
    delete = next(b for b in screen.boxes if "Delete" in b.text)
    x, y = (delete.box[0] + delete.box[2]) // 2, (delete.box[1] + delete.box[3]) // 2
    assert screen.near(x, y, 5)[0] is delete
    assert 0 < screen.coverage < 0.5


def test_reading_one_line_leaves_full_screen_reads_unchanged():
    """rapidocr remembers a call's passes: a line read (no detection) must not turn the next
    full-screen read into recognition only."""
    reader = ScreenReader()
    screen = render_text_image(["Invoice 2041", "", "Total due: 120.00 EUR"], size=(800, 300))
    before = reader.read(screen).text
    text, score = reader.read_line(render_text_image(["Cancel"], size=(160, 80)))
    assert "Cancel" in text and score > 0.5
    assert reader.read(screen).text == before and "Total due" in before


def test_screen_reader_on_a_photo_reads_little():
    screen = ScreenReader().read(noise_photo())
    assert len(screen.text) < 20
