"""Turn: parsed once with its images, within the limits, bad input named by field; image files
read only where the caller may name them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from builders import data_url, noise_photo, user
from PIL import Image

from agent_router.config import Limits
from agent_router.core.caller import Caller, Role
from agent_router.core.turn import Turn
from agent_router.errors import InputError
from agent_router.image_files import REFUSED

LIMITS = Limits()
OWNER = Caller()
REMOTE = Caller(tenant="acme", local=False, role=Role.agent)


def test_a_turn_keeps_its_messages_and_decoded_images() -> None:
    turn = Turn.parse([user("What is this?", data_url(noise_photo()))], LIMITS, REMOTE)
    assert turn.user_text == "What is this?"
    assert len(turn.images) == 1 and turn.images[0].width > 0


def test_an_empty_turn_is_refused_unless_allowed() -> None:
    blank = [{"role": "user", "content": "   "}]
    with pytest.raises(InputError, match="messages: the turn is empty"):
        Turn.parse(blank, LIMITS, OWNER)
    assert Turn.parse(blank, LIMITS, OWNER, allow_empty=True).images == []


def test_problems_name_the_field_given() -> None:
    with pytest.raises(InputError, match=r"turn\[0\]"):
        Turn.parse([{"role": "nobody", "content": "x"}], LIMITS, OWNER, field="turn")


def test_the_caller_defaults_to_the_local_tenant() -> None:
    assert Caller() == Caller(tenant="local", agent_id=None)


def test_twenty_thousand_messages_are_refused_with_the_limit_named() -> None:
    many = [{"role": "user", "content": "hi"}] * 20_000
    with pytest.raises(InputError) as info:
        Turn.parse(many, LIMITS, REMOTE)
    assert info.value.problems == [
        ("messages", "20000 messages; the limit is limits.messages_per_turn = 500")
    ]


def test_too_much_text_is_refused_with_the_limit_named() -> None:
    with pytest.raises(InputError, match=r"400001 characters of text; the limit is limits.chars_per_turn"):
        Turn.parse([user("x" * 400_001)], LIMITS, REMOTE)


def test_too_many_images_are_refused_before_any_is_read(tmp_path: Path) -> None:
    """The count is checked first: a 17th image that is a FIFO would hang a read."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    urls = [data_url(noise_photo((8, 8)))] * 16 + [str(fifo)]
    with pytest.raises(InputError) as info:
        Turn.parse([user("look", *urls)], LIMITS, OWNER)
    assert info.value.problems == [("messages", "17 images; the limit is limits.images_per_turn = 16")]


def bomb(side: int) -> str:
    """A PNG of side x side pixels of one colour: a few KiB that decode to side² pixels."""
    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < 200_000
    return data_url(Image.open(buffer))


def test_an_image_over_the_pixel_limit_is_refused_unread() -> None:
    with pytest.raises(InputError) as info:
        Turn.parse([user("x", bomb(4001))], LIMITS, REMOTE)
    assert "image is 4001x4001; the limit is limits.image_pixels = 16000000 pixels" in str(info.value)


def test_a_turn_of_many_large_images_is_bounded_by_pixels_per_turn() -> None:
    limits = Limits(image_pixels=1_000_000, pixels_per_turn=2_500_000)
    image = data_url(noise_photo((1000, 1000)))
    assert len(Turn.parse([user("x", image, image)], limits, REMOTE).images) == 2
    with pytest.raises(InputError) as info:
        Turn.parse([user("x", image, image, image)], limits, REMOTE)
    ((field, text),) = info.value.problems
    assert field == "messages[0].content[3].image_url.url"
    assert "what is left of limits.pixels_per_turn = 500000 pixels" in text


def test_a_remote_caller_cannot_tell_an_existing_file_from_a_missing_one(tmp_path: Path) -> None:
    png = tmp_path / "screen.png"
    noise_photo((64, 64)).save(png)
    answers = set()
    for name in (str(png), f"file://{png}", str(tmp_path / "nothing.png"), "/dev/zero", "~/x.png"):
        with pytest.raises(InputError) as info:
            Turn.parse([user("x", name)], LIMITS, REMOTE)
        answers.add(str(info.value))
    assert answers == {f"messages[0].content[1].image_url.url: {REFUSED}"}
    assert len(Turn.parse([user("x", str(png))], LIMITS, OWNER).images) == 1


def test_dev_zero_is_not_a_regular_file_for_the_owner_either() -> None:
    with pytest.raises(InputError, match="cannot read image file '/dev/zero': not a regular file"):
        Turn.parse([user("x", "/dev/zero")], LIMITS, OWNER)


def test_allowlisted_folders_open_to_remote_callers(tmp_path: Path) -> None:
    png = tmp_path / "screen.png"
    noise_photo((64, 64)).save(png)
    limits = Limits(image_folders=[tmp_path])
    assert Turn.parse([user("x", str(png))], limits, REMOTE).images[0].width == 64
    with pytest.raises(InputError, match="local image paths are not accepted here"):
        Turn.parse([user("x", "/etc/hostname")], limits, REMOTE)


async def test_read_gives_the_turn_parse_gives() -> None:
    raw = [user("What is this?", data_url(noise_photo((32, 32))))]
    read = await Turn.read(raw, LIMITS, REMOTE)
    assert read == Turn.parse(raw, LIMITS, REMOTE)
    with pytest.raises(InputError, match=REFUSED):
        await Turn.read([user("x", "/etc/hostname")], LIMITS, REMOTE)
