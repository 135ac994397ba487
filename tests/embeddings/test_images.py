from __future__ import annotations

import base64
import os

import pytest
from builders import data_url, noise_photo, user

from agent_router.errors import InputError
from agent_router.image_files import REFUSED, ImageFiles
from agent_router.images import load_images
from agent_router.turns import parse_messages

OWNER = ImageFiles(anywhere=True)  # the machine's own user: stdio, the CLI


def images_of(*urls, max_bytes=10**7, max_pixels=10**8, files=OWNER):
    return load_images(parse_messages([user("x", *urls)]), max_bytes, max_pixels, files=files)


def refusal(url: str, files: ImageFiles, max_bytes: int = 10**7) -> str:
    with pytest.raises(InputError) as info:
        images_of(url, files=files, max_bytes=max_bytes)
    ((field, text),) = info.value.problems
    assert field == "messages[0].content[1].image_url.url"
    return text


def test_data_urls_file_paths_and_mcp_image_content(tmp_path):
    img = noise_photo((64, 48))
    path = tmp_path / "p.png"
    img.save(path)
    mcp_part = {"type": "image", "data": data_url(img).split(",", 1)[1], "mimeType": "image/png"}
    messages = parse_messages(
        [user("x", data_url(img), str(path), f"file://{path}"), {"role": "user", "content": [mcp_part]}]
    )
    loaded = load_images(messages, 10**7, 10**8, files=OWNER)
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
        ("ftp://example.com/a.png", "unsupported image URL scheme 'ftp'"),
        ("file://otherhost/etc/a.png", "must name a file on this machine"),
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
    with pytest.raises(InputError, match="the limit is limits.image_bytes = 100 "):
        images_of(big, max_bytes=100)
    with pytest.raises(InputError, match="the limit is limits.image_pixels = 1000 pixels"):
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


def test_a_remote_caller_names_no_server_file(tmp_path):
    """A PNG on the server and a path that does not exist get the very same answer."""
    path = tmp_path / "secret.png"
    noise_photo((32, 32)).save(path)
    remote = ImageFiles()
    answers = {refusal(url, remote) for url in (str(path), f"file://{path}", str(tmp_path / "missing.png"))}
    answers |= {refusal(url, remote) for url in ("~/.ssh/id_rsa", "/dev/zero", str(tmp_path))}
    assert answers == {REFUSED}
    assert "local image paths are not accepted here; send a data URL" in REFUSED


def test_dev_zero_and_fifos_are_refused_without_reading(tmp_path):
    """The owner too: a device or a FIFO is not a regular file. The limit is far above what
    the test could read, and a FIFO with no writer would block a plain open forever."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for name in ("/dev/zero", str(fifo), str(tmp_path)):
        assert "not a regular file" in refusal(name, OWNER, max_bytes=1 << 40)


def test_the_owner_reads_at_most_the_limit(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG" + b"\x00" * 5000)
    assert "larger than the limit of 1000 bytes (limits.image_bytes)" in refusal(str(path), OWNER, 1000)


def test_allowlisted_folders_with_symlinks_resolved(tmp_path):
    shared, private = tmp_path / "shared", tmp_path / "private"
    shared.mkdir()
    private.mkdir()
    noise_photo((16, 16)).save(shared / "ok.png")
    noise_photo((16, 16)).save(private / "secret.png")
    (shared / "link.png").symlink_to(private / "secret.png")
    (tmp_path / "alias").symlink_to(shared)
    files = ImageFiles(folders=(tmp_path / "alias",))  # the folder itself may be a link
    assert images_of(str(shared / "ok.png"), files=files)[0].width == 16
    assert images_of(f"file://{tmp_path / 'alias' / 'ok.png'}", files=files)[0].width == 16
    refused = {
        refusal(url, files)
        for url in (
            str(shared / "link.png"),
            str(shared / ".." / "private" / "secret.png"),
            str(private / "secret.png"),
            str(shared / "missing.png"),
            "/dev/zero",
        )
    }
    assert len(refused) == 1 and REFUSED in refused.pop()
