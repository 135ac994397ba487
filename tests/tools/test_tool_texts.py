"""What gets embedded of a tool: name and description head, without the catalog's boilerplate."""

from __future__ import annotations

from agent_router.tools.catalog import from_definition
from agent_router.tools.texts import VIEW_CHARS, boilerplate, embed_text

NOTE = "Note that the provided function is in Python 3 syntax."


def tool(name: str, description: str, params: tuple[str, ...] = ()) -> object:
    schema = {"type": "object", "properties": {p: {"type": "string"} for p in params}}
    return from_definition({"name": name, "description": description, "inputSchema": schema}, "s", "t")


def test_sentences_most_tools_share_are_left_out() -> None:
    tools = [tool(f"tool_{i}", f"Does thing number {i}. {NOTE}") for i in range(10)]
    tools.append(tool("lone", "Only one says this. Rare sentence."))
    common = boilerplate(tools)
    assert common == {NOTE}
    assert embed_text(tools[0], common) == "tool 0: Does thing number 0."
    assert embed_text(tools[-1], common) == "lone: Only one says this. Rare sentence."
    assert boilerplate(tools[:3]) == frozenset()  # too few tools to call anything boilerplate


def test_long_descriptions_are_cut_at_a_sentence_and_empty_ones_use_the_parameters() -> None:
    long = tool("getWeather", "Forecast for a city. " + "More detail here. " * 60)
    text = embed_text(long)
    assert text.startswith("get weather: Forecast for a city.")
    assert len(text) <= VIEW_CHARS + len("get weather: ") and text.endswith(".")
    no_description = tool("send_mail", "", ("recipient", "subjectLine"))
    assert embed_text(no_description) == "send mail: recipient, subject line"
