"""Turn: parsed once with its images, bad input named by field."""

from __future__ import annotations

import pytest
from builders import data_url, noise_photo, user

from agent_router.config import Defaults
from agent_router.core.caller import Caller
from agent_router.core.turn import Turn
from agent_router.errors import InputError

LIMITS = Defaults(model="coder")


def test_a_turn_keeps_its_messages_and_decoded_images() -> None:
    turn = Turn.parse([user("What is this?", data_url(noise_photo()))], LIMITS)
    assert turn.user_text == "What is this?"
    assert len(turn.images) == 1 and turn.images[0].width > 0


def test_an_empty_turn_is_refused_unless_allowed() -> None:
    blank = [{"role": "user", "content": "   "}]
    with pytest.raises(InputError, match="messages: the turn is empty"):
        Turn.parse(blank, LIMITS)
    assert Turn.parse(blank, LIMITS, allow_empty=True).images == []


def test_problems_name_the_field_given() -> None:
    with pytest.raises(InputError, match=r"turn\[0\]"):
        Turn.parse([{"role": "nobody", "content": "x"}], LIMITS, field="turn")


def test_the_caller_defaults_to_the_local_tenant() -> None:
    assert Caller() == Caller(tenant="local", agent_id=None)
