from __future__ import annotations

import pytest
from builders import data_url
from PIL import Image, ImageDraw, ImageFont

from agent_router.app import App
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.detectors.deputy import compare, intended_target, read_target
from agent_router.safety.findings import Outcome


def dialog() -> Image.Image:
    """A 1280x800 screen with two buttons far apart: Cancel at (300, 600), Delete account at
    (900, 600)."""
    img = Image.new("RGB", (1280, 800), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    draw.text((80, 80), "Are you sure you want to continue?", fill="black", font=font)
    for left, label in ((220, "Cancel"), (780, "Delete account")):
        draw.rectangle((left, 570, left + 260, 630), outline="black", width=2)
        draw.text((left + 20, 583), label, fill="black", font=font)
    return img


@pytest.fixture(scope="module")
def screen() -> str:
    return data_url(dialog())


@pytest.mark.parametrize(
    ("intent", "target"),
    [
        ("click Cancel", "Cancel"),
        ('click the "Save draft" button', "Save draft"),
        ("Press the Submit button", "Submit"),
        ("double-click on the Downloads folder", "Downloads folder"),
    ],
)
def test_intended_target(intent, target):
    assert intended_target(intent) == target


def test_reads_the_text_under_the_pointer(app: App):
    reader = app.encoders.ocr.encoder
    assert read_target(reader, dialog(), 900, 600, radius=80) == "Delete account"
    assert read_target(reader, dialog(), 330, 600, radius=80) == "Cancel"
    assert read_target(reader, dialog(), 640, 400, radius=40) is None


async def test_compare(app: App):
    text = app.encoders.text
    assert await compare("Cancel", "click Cancel", text=text, field_name="f") == []
    assert await compare("Sign in", "click the login button", text=text, field_name="f") == []
    riskier = await compare("Delete account", "click Cancel", text=text, field_name="f")
    assert [f.rule for f in riskier] == ["deputy.riskier_target"] and riskier[0].escalate
    other = await compare("Newsletter settings", "open the invoice", text=text, field_name="f")
    assert [f.rule for f in other] == ["deputy.intent_mismatch"]


async def test_click_on_a_riskier_target_than_stated(checker: SafetyChecker, screen: str):
    verdict = await checker.check_action(
        {"type": "click", "x": 900, "y": 600, "context": {"screenshot": screen, "intent": "click Cancel"}}
    )
    assert verdict.decision is Outcome.confirm and verdict.escalate
    assert verdict.target == "Delete account"
    assert "deputy.riskier_target" in verdict.rules
    finding = next(f for f in verdict.findings if f.rule == "deputy.riskier_target")
    assert finding.evidence.text == "Delete account"
    assert finding.evidence.field == "action.context.screenshot"


async def test_click_where_it_says(checker: SafetyChecker, screen: str):
    verdict = await checker.check_action(
        {
            "action": "left_click",
            "coordinate": [330, 600],
            "context": {"screenshot": screen, "intent": "click Cancel"},
        }
    )
    assert verdict.decision is Outcome.allow and verdict.target == "Cancel"


async def test_garbage_screenshot_confirms(checker: SafetyChecker):
    for junk in ["data:image/png;base64,AAAA", "bm90IGFuIGltYWdl" * 30, "/no/such/file.png"]:
        verdict = await checker.check_action(
            {"type": "click", "x": 1, "y": 1, "context": {"screenshot": junk, "intent": "click OK"}}
        )
        assert verdict.decision is Outcome.confirm
        assert verdict.rules == ["deputy.screenshot_unreadable"]
