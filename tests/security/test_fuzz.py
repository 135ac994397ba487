"""Property-based fuzzing of what a caller hands the server: the turn parser, the action parser
and the config loader. Whatever comes in, only the project's own errors (RouterError) come out,
nothing is written, and a remote caller never gets the bytes of a server file. Deterministic
(derandomized, no example database) so CI does not flake; example counts kept modest."""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

import pytest
import yaml
from builders import data_url, noise_photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_router.config import Limits, load_config, parse_config
from agent_router.core.caller import Caller, Role
from agent_router.core.turn import Turn
from agent_router.errors import RouterError
from agent_router.safety.actions import parse_action

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REMOTE = Caller(tenant="fuzz", local=False, role=Role.agent)
SECRET = b"the-secret-of-the-server-3f9a"
LIMITS = Limits(messages_per_turn=20, chars_per_turn=5000, images_per_turn=4, image_pixels=4_000_000)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def server_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A server folder with a secret file and a real PNG: names a remote caller might try."""
    folder = tmp_path_factory.mktemp("server")
    (folder / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + SECRET)
    noise_photo((16, 16)).save(folder / "real.png")
    os.mkfifo(folder / "pipe")
    return {
        "secret": str(folder / "secret.png"),
        "real": str(folder / "real.png"),
        "pipe": str(folder / "pipe"),
        "folder": str(folder),
    }


def urls(files: dict[str, str]) -> st.SearchStrategy[str]:
    paths = st.sampled_from([*files.values(), "/dev/zero", "/dev/urandom", "/etc/passwd", "~/.bashrc", "."])
    schemes = st.sampled_from(
        ["", "file://", "file://localhost", "file://host", "ftp://", "javascript:", "data:"]
    )
    odd = st.builds(lambda s, p: s + p, schemes, paths | st.text(max_size=40))
    tiny = data_url(noise_photo((8, 8)))
    b64 = st.binary(max_size=64).map(lambda b: "data:image/png;base64," + base64.b64encode(b).decode())
    return odd | b64 | st.just(tiny) | st.text(max_size=60)


def parts(files: dict[str, str]) -> st.SearchStrategy[object]:
    image_url = st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, urls(files))
    mcp_image = st.builds(
        lambda d: {"type": "image", "data": d, "mimeType": "image/png"}, st.text(max_size=40)
    )
    text = st.builds(lambda t: {"type": "text", "text": t}, st.text(max_size=40))
    return image_url | mcp_image | text | json_like


def messages(files: dict[str, str]) -> st.SearchStrategy[object]:
    roles = st.sampled_from(["user", "assistant", "system", "tool", "robot"]) | st.text(max_size=8)
    content = st.text(max_size=60) | st.lists(parts(files), max_size=5) | json_like
    message = st.fixed_dictionaries({"role": roles, "content": content}) | json_like
    return st.lists(message, max_size=6) | json_like


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def nothing_written(folder: Path) -> None:
    assert list(folder.iterdir()) == []


def test_the_turn_parser_raises_only_input_errors_and_leaks_no_file(server_files, in_tmp):
    @FUZZ
    @given(raw=messages(server_files))
    def check(raw: object) -> None:
        for caller in (REMOTE, Caller()):
            try:
                turn = Turn.parse(raw, LIMITS, caller, allow_empty=True)
            except RouterError as exc:
                assert SECRET.decode() not in str(exc)
                continue
            if caller is REMOTE:
                assert all(SECRET not in image.data for image in turn.images)

    check()
    nothing_written(in_tmp)


def test_a_remote_caller_never_reads_a_server_file(server_files):
    for name in ("secret", "real"):
        for url in (server_files[name], f"file://{server_files[name]}"):
            with pytest.raises(RouterError) as info:
                Turn.parse(
                    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}],
                    LIMITS,
                    REMOTE,
                )
            assert "local image paths are not accepted here" in str(info.value)


def test_the_action_parser_raises_only_input_errors(in_tmp):
    shapes = st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["click", "type", "shell", "tool_call", "navigate", "send_message", "file_write", "key"]
            )
            | st.text(max_size=10)
        },
        optional={
            "x": json_like,
            "y": json_like,
            "text": json_like,
            "command": json_like,
            "context": json_like,
            "arguments": json_like,
            "coordinate": json_like,
            "action": json_like,
        },
    )

    @FUZZ
    @given(raw=shapes | json_like)
    def check(raw: object) -> None:
        with contextlib.suppress(RouterError):
            parse_action(raw)

    check()
    nothing_written(in_tmp)


def test_the_config_loader_raises_only_config_errors(in_tmp):
    sections = st.sampled_from(
        [
            "models",
            "routes",
            "defaults",
            "tools",
            "safety",
            "limits",
            "tenants",
            "memory",
            "pools",
            "encoders",
        ]
    )
    mappings = st.dictionaries(sections | st.text(max_size=8), json_like, max_size=5)

    @FUZZ
    @given(data=mappings | json_like)
    def parsed(data: object) -> None:
        with contextlib.suppress(RouterError):
            parse_config(data)

    @FUZZ
    @given(text=st.text(max_size=200) | mappings.map(lambda d: yaml.safe_dump(d, allow_unicode=True)))
    def loaded(text: str) -> None:
        path = in_tmp / "fuzzed.yaml"
        path.write_text(text)
        try:
            load_config(path)
        except RouterError:
            pass
        finally:
            path.unlink()

    parsed()
    loaded()
    nothing_written(in_tmp)
