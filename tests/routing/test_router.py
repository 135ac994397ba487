from __future__ import annotations

from dataclasses import replace

import pytest
from builders import data_url, noise_photo, render_text_image, user

from agent_router.app import App
from agent_router.config import parse_config
from agent_router.embeddings import Encoders
from agent_router.routing import Constraints, Router


async def test_code_request_goes_to_the_code_route_with_reasons(route):
    d = await route([user("Write a Python function that reverses a singly linked list in place.")])
    assert d.route == "code"
    assert d.model == "coder"
    probabilities = d.signals.route_probabilities
    assert probabilities["code"] > max(probabilities["tool_use"], probabilities["general"])
    assert any(r.startswith("route 'code' fired") and "head: probability" in r for r in d.reasons)
    assert d.confidence == pytest.approx(probabilities["code"])


async def test_tool_request_goes_to_the_tool_route(route):
    d = await route([user("Book me a flight from Madrid to Rome on Friday morning.")])
    assert d.route == "tool_use"
    assert d.model == "agent-tools"
    assert d.fallbacks and d.fallbacks[0] == "coder"


async def test_keywords_fire_a_route_whatever_the_similarity(route):
    d = await route([user("I got this Traceback and I do not know what it means")])
    assert d.route == "code"
    assert d.signals.keyword_hits["code"] == ["traceback"]


async def test_the_routed_text_is_the_latest_user_message(route):
    d = await route(
        [
            {"role": "system", "content": "You are a helpful assistant."},
            user("Write a function that sorts a list of tuples by their second item."),
            {"role": "assistant", "content": "Here it is."},
            user("Now book a hotel room in Berlin for two nights next week."),
        ]
    )
    assert d.route == "tool_use"


async def test_small_talk_goes_to_the_small_model(route):
    d = await route([user("hi there, how is your day going?")])
    assert d.route == "general"
    assert d.model == "small-chat"


async def test_below_the_heads_floor_the_turn_goes_to_the_default_models_route(app: App, route):
    assert app.router.head is not None
    unsure = Router(app.config, app.encoders)
    unsure.head = replace(app.router.head, min_confidence=0.999)
    d = await route(
        [user("Write a Python function that reverses a singly linked list in place.")],
        app=App(app.config, app.encoders, unsure),
    )
    assert d.route == "general" and d.model == "small-chat"
    assert d.signals.route_probabilities["code"] > 0.5
    assert any("is below its floor (1.00" in r for r in d.reasons)


async def test_without_a_head_when_no_route_fires_the_default_model_answers(app: App, route):
    data = app.config.model_dump(mode="json")
    data["defaults"] |= {"head": None, "threshold": 0.99}
    config = parse_config(data)
    strict = App(config, app.encoders, Router(config, app.encoders))
    d = await route([user("Plan a trip to Japan in spring.")], app=strict)
    assert d.route is None
    assert d.model == "small-chat"
    assert "no route fired" in d.reasons[0]


async def test_long_turns_go_to_the_long_context_route(route, config):
    text = "The quarterly report covers revenue, costs and hiring plans. " * 3000
    d = await route([user(text)])
    assert d.signals.prompt_tokens > 24000
    assert d.route == "long_context"
    assert d.model == "long-context"
    assert not d.signals.fits_context["small-chat"]


async def test_constraints_filter_models_and_say_why(route):
    d = await route([user("Implement quicksort in Rust.")], Constraints(max_cost_per_mtok=0.5))
    assert d.route == "code"
    assert d.model == "agent-tools"
    assert "max_cost_per_mtok" in d.rejected["coder"]


async def test_impossible_targets_are_relaxed_and_the_reasons_say_so(route):
    d = await route([user("Implement quicksort in Rust.")], Constraints(max_latency_ms=1))
    assert d.model == "coder"
    assert any("ignored them" in r for r in d.reasons)


async def test_priorities_rank_the_eligible_models(route):
    d = await route([user("Implement quicksort in Rust.")], Constraints(cost_priority=1.0))
    assert d.model == "agent-tools"  # the cheaper of the route's two models
    d = await route([user("Implement quicksort in Rust.")], Constraints(hints=["agent"]))
    assert d.model == "agent-tools"


async def test_screenshot_goes_to_computer_use_without_clip(route):
    shot = render_text_image(
        ["File  Edit  View  Help", "", "Inbox (3)", "Settings", "Sign out"],
        size=(1280, 800),
        background="#e8eef7",
    )
    d = await route([user("What should I click next?", data_url(shot))])
    assert d.signals.modalities == ["text", "image"]
    image = d.signals.images[0]
    assert (image.width, image.height) == (1280, 800)
    assert image.kind == "screenshot" and image.kind_source == "mobilenet head"
    assert d.route == "computer_use" and d.model == "computer-use"
    assert any(r.startswith("image 1: screenshot p=") for r in d.reasons)


async def test_document_page_goes_to_the_document_route(route):
    page = render_text_image(
        [f"Section {i}. The parties agree to the terms set out in clause {i}." for i in range(16)],
        size=(850, 1100),
        font_size=20,
    )
    d = await route([user("Summarise this.", data_url(page))])
    assert d.signals.images[0].kind == "document"
    assert d.route == "documents"


async def test_photo_goes_to_the_vision_route(route):
    d = await route([user("What is in this picture?", data_url(noise_photo(), "JPEG"))])
    assert d.signals.images[0].kind == "photo"
    assert d.route == "vision" and d.model == "vision-small"


async def test_same_input_same_decision(route):
    messages = [user("Refactor this class to use dataclasses.")]
    first, second = await route(messages), await route(messages)
    assert first.model_dump() == second.model_dump()


async def test_no_model_takes_images_falls_back_to_screen_text(app: App, route):
    config = parse_config(
        {
            "models": [{"name": "t", "modalities": ["text"]}],
            "routes": [],
            "defaults": {"model": "t"},
        }
    )
    text_only = App(config, app.encoders, Router(config, app.encoders))
    d = await route([user("look", data_url(noise_photo()))], app=text_only)
    assert d.model == "t"
    assert any("screen text" in r for r in d.reasons)


@pytest.fixture(scope="module")
def clip_app(app: App, tiny_clip_section) -> App:
    from agent_router.embeddings import build_encoders

    data = app.config.model_dump(mode="json")
    data["encoders"]["clip"] = tiny_clip_section
    data["encoders"]["ocr"]["enabled"] = False
    config = parse_config(data)
    built = build_encoders(config.encoders)
    encoders = Encoders(built.placement, app.encoders.text, built.clip, None)
    return App(config, encoders, Router(config, encoders))


async def test_with_clip_configured_image_kinds_come_from_clip(clip_app: App, route):
    d = await route([user("what is this", data_url(noise_photo()))], app=clip_app)
    image = d.signals.images[0]
    assert image.kind_source == "clip zero-shot"
    assert sum(image.kind_scores.values()) == pytest.approx(1, abs=1e-3)
    assert image.kind == max(image.kind_scores, key=image.kind_scores.get)
    assert d.route in {"computer_use", "documents", "vision"}
