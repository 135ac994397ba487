"""The CLIP reading of a click target, with a small randomly initialised open_clip model: the
weights carry no meaning, so these tests check the rule, not what CLIP sees."""

from __future__ import annotations

import numpy as np
import pytest
from builders import data_url
from test_deputy import dialog

from agent_router.config import ClipSpec, SafetySpec
from agent_router.embeddings import AsyncEncoder, ClipEncoder, Encoders, resolve_placement
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.detectors.deputy_clip import MARGIN, RISKY_TARGETS, ClipTargetReader


@pytest.fixture(scope="module")
def reader(tiny_clip_files) -> ClipTargetReader:
    config_file, checkpoint = tiny_clip_files
    spec = ClipSpec(model="tiny-clip", checkpoint=checkpoint, model_config_file=config_file)
    return ClipTargetReader(ClipEncoder(spec, resolve_placement("cpu")))


def similarities(reader: ClipTargetReader, x: int, y: int, radius: int, wanted: str):
    image = dialog()
    crop = image.crop((x - radius * 2, y - radius, x + radius * 2, y + radius))
    (pixels,) = reader.clip.encode_images([crop])
    (intent,) = reader.clip.encode_text([f'a "{wanted}" button'])
    risky = np.stack(reader.clip.encode_text(list(RISKY_TARGETS.values())))
    return float(pixels @ intent), risky @ pixels


@pytest.mark.parametrize("wanted", ["Cancel", "Open the report", "Keep editing"])
def test_flags_exactly_when_the_pixels_sit_closer_to_a_risky_target(reader, wanted):
    to_intent, to_risky = similarities(reader, 900, 600, 40, wanted)
    findings = reader.check(dialog(), 900, 600, radius=40, wanted=wanted)
    expected = bool(to_risky.max() >= to_intent + MARGIN)
    assert bool(findings) == expected
    for finding in findings:
        assert finding.rule == "deputy.clip_riskier_target" and finding.escalate
        assert finding.evidence.detail["similarity_to_risky"] == round(float(to_risky.max()), 3)


def test_an_intent_in_the_same_category_is_never_flagged(reader):
    _, to_risky = similarities(reader, 900, 600, 40, "x")
    category = list(RISKY_TARGETS)[int(np.argmax(to_risky))]
    wanted = {
        "payment": "Pay now",
        "send_message": "Send",
        "delete": "Delete account",
        "account_security": "Change password",
        "install_software": "Install",
    }[category.value]
    assert reader.check(dialog(), 900, 600, radius=40, wanted=wanted) == []


def test_a_click_off_the_image_reads_nothing(reader):
    assert reader.check(dialog(), 5000, 5000, radius=40, wanted="Cancel") == []


async def test_check_action_reads_the_target_with_both_channels(app, reader):
    clip = AsyncEncoder(reader.clip, key=lambda image: image.sha256, max_batch=8, cache_size=8)
    encoders = Encoders(app.encoders.placement, app.encoders.text, clip, app.encoders.ocr)
    checker = SafetyChecker(SafetySpec(), encoders, app.config.limits)
    verdict = await checker.check_action(
        {
            "type": "click",
            "x": 330,
            "y": 600,
            "context": {"screenshot": data_url(dialog()), "intent": "click Cancel"},
        }
    )
    to_intent, to_risky = similarities(reader, 330, 600, SafetySpec().deputy_radius, "Cancel")
    clip_flags = bool(to_risky.max() >= to_intent + MARGIN)
    assert verdict.target == "Cancel"  # OCR read the label under the pointer
    assert ("deputy.clip_riskier_target" in verdict.rules) == clip_flags
    assert verdict.decision.value == ("confirm" if clip_flags else "allow")
    clip.close()
