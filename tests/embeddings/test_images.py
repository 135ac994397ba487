from __future__ import annotations

import base64

import pytest
from builders import data_url, noise_photo, user

from agent_router.errors import InputError
from agent_router.images import load_images
from agent_router.turns import parse_messages


def images_of(*urls, max_bytes=10**7, max_pixels=10**8):
    return load_images(parse_messages([user("x", *urls)]), max_bytes, max_pixels)


def test_data_urls_file_paths_and_mcp_image_content(tmp_path):
    img = noise_photo((64, 48))
    path = tmp_path / "p.png"
    img.save(path)
    mcp_part = {"type": "image", "data": data_url(img).split(",", 1)[1], "mimeType": "image/png"}
    messages = parse_messages(
        [user("x", data_url(img), str(path), f"file://{path}"), {"role": "user", "content": [mcp_part]}]
    )
    loaded = load_images(messages, 10**7, 10**8)
    assert len(loaded) == 4
    assert {i.sha256 for i in loaded} == {loaded[0].sha256}
    assert (loaded[0].width, loaded[0].height, loaded[0].format) == (64, 48, "PNG")
    assert loaded[3].field == "messages[1].content[0].data"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("data:image/png;base64,@@@", "not valid base64"),
        ("data:image/png,rawbytes", "must be base64"),
        ("https://example.com/a.png", "not fetched"),
        ("/no/such/file.png", "cannot read image file"),
        ("data:image/png;base64," + base64.b64encode(b"GIF87a garbage").decode(), "not a readable image"),
        ("data:image/tiff;base64," + base64.b64encode(b"II*\x00" + b"\x00" * 64).decode(), "image"),
    ],
)
def test_bad_images_name_the_field(url, message):
    with pytest.raises(InputError) as info:
        images_of(url)
    field, text = info.value.problems[0]
    assert field == "messages[0].content[1].image_url.url"
    assert message in text


def test_size_limits(tmp_path):
    big = data_url(noise_photo((400, 300)))
    with pytest.raises(InputError, match="the limit is 100 bytes"):
        images_of(big, max_bytes=100)
    with pytest.raises(InputError, match="the limit is 1000 pixels"):
        images_of(big, max_pixels=1000)


def test_every_bad_part_is_reported_at_once():
    with pytest.raises(InputError) as info:
        images_of("data:image/png;base64,@@@", "/missing.png")
    assert [f for f, _ in info.value.problems] == [
        "messages[0].content[1].image_url.url",
        "messages[0].content[2].image_url.url",
    ]


def test_malformed_messages_name_the_field():
    with pytest.raises(InputError) as info:
        parse_messages(
            [{"role": "user", "content": "ok"}, {"role": "robot", "content": "x"}, {"role": "user"}]
        )
    fields = [f for f, _ in info.value.problems]
    assert "messages[1].role" in fields and "messages[2]" in fields
