from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_router.errors import InputError
from agent_router.safety.actions import (
    Click,
    Drag,
    Keypress,
    Navigate,
    Scroll,
    SendMessage,
    Shell,
    ToolCallAction,
    TypeText,
    parse_action,
)
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.findings import Outcome


@pytest.mark.parametrize(
    ("raw", "kind", "check"),
    [
        ({"action": "left_click", "coordinate": [10, 20]}, Click, lambda a: (a.x, a.y) == (10, 20)),
        ({"action": "right_click", "coordinate": [1, 2]}, Click, lambda a: a.button == "right"),
        ({"action": "double_click", "coordinate": [1, 2]}, Click, lambda a: a.type == "double_click"),
        ({"action": "type", "text": "hello"}, TypeText, lambda a: a.text == "hello"),
        ({"action": "key", "text": "ctrl+s"}, Keypress, lambda a: a.keys == ["ctrl", "s"]),
        (
            {"action": "scroll", "coordinate": [5, 5], "scroll_direction": "up", "scroll_amount": 3},
            Scroll,
            lambda a: a.scroll_y == -3,
        ),
        (
            {"action": "left_click_drag", "start_coordinate": [0, 0], "coordinate": [9, 9]},
            Drag,
            lambda a: a.path[-1] == {"x": 9, "y": 9},
        ),
        ({"type": "click", "x": 3, "y": 4, "button": "left"}, Click, lambda a: a.x == 3),
        ({"type": "keypress", "keys": ["ENTER"]}, Keypress, lambda a: a.keys == ["ENTER"]),
        ({"type": "shell", "command": "ls"}, Shell, lambda a: a.command == "ls"),
        ({"type": "navigate", "url": "https://example.com"}, Navigate, lambda a: "example" in a.url),
        (
            {"type": "tool_call", "server": "s", "tool": "t", "arguments": {"a": 1}},
            ToolCallAction,
            lambda a: a.arguments == {"a": 1},
        ),
        (
            {"type": "send_message", "to": ["a@b.co"], "body": "x", "context": {"intent": "reply"}},
            SendMessage,
            lambda a: a.context.intent == "reply",
        ),
    ],
)
def test_parses_agent_shapes(raw, kind, check):
    action = parse_action(raw)
    assert isinstance(action, kind)
    assert check(action)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "shell"}, "action.command"),
        ({"type": "click", "x": "left", "y": 2}, "action.x"),
        ({"type": "teleport"}, "action"),
        ({"action": "left_click"}, "action.x"),
        ({"type": "navigate", "url": "https://a.b", "context": {"colour": 1}}, "action.context.colour"),
    ],
)
def test_bad_actions_name_the_field(raw, field):
    with pytest.raises(InputError) as info:
        parse_action(raw)
    assert field in [f for f, _ in info.value.problems]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
action_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["click", "type", "shell", "navigate", "tool_call", "send_message", "file_write", "drag", "x"]
        ),
        "action": st.sampled_from(["left_click", "key", "scroll", "left_click_drag", "mouse_move", "zoom"])
        | st.text(max_size=8),
        "coordinate": json_values,
        "start_coordinate": json_values,
        "x": json_values,
        "y": json_values,
        "text": json_values,
        "command": json_values,
        "url": json_values,
        "keys": json_values,
        "path": json_values,
        "context": json_values,
        "to": json_values,
        "scroll_amount": json_values,
        "scroll_direction": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(raw=action_like | json_values)
def test_parser_fuzz_raises_only_input_errors(raw):
    try:
        parse_action(raw)
    except InputError as exc:
        assert exc.problems and all(field.startswith("action") for field, _ in exc.problems)


@settings(max_examples=60, deadline=None)
@given(raw=action_like | json_values)
async def test_checker_never_allows_unreadable_actions(checker: SafetyChecker, raw):
    verdict = await checker.check_action(raw)
    try:
        parse_action(raw)
    except InputError:
        assert verdict.decision is Outcome.confirm
        assert verdict.rules == ["action.unparsed"]
