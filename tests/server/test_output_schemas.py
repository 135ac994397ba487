"""Listed output schemas are self-contained (no $ref for the client to resolve per result), and
say exactly what the pydantic-generated ones said."""

from __future__ import annotations

import json

import jsonschema
import pytest
from builders import user
from mcp import Client

from agent_router.server import build_server
from agent_router.surface.schemas import without_refs


async def test_listed_output_schemas_have_no_references_and_results_still_validate(app):
    async with Client(build_server(app=app)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("route_turn", {"messages": [user("Sort a list in Python.")]})
    with_schemas = [t for t in tools.values() if t.output_schema is not None]
    assert len(with_schemas) >= 10
    for tool in with_schemas:
        assert "$ref" not in json.dumps(tool.output_schema) and "$defs" not in tool.output_schema, tool.name
    jsonschema.validate(result.structured_content, tools["route_turn"].output_schema)
    wrong = {**result.structured_content, "signals": {**result.structured_content["signals"], "images": [{}]}}
    with pytest.raises(jsonschema.ValidationError):  # nested definitions still constrain
        jsonschema.validate(wrong, tools["route_turn"].output_schema)


def test_a_reference_with_constraints_beside_it_keeps_both():
    schema = {
        "$defs": {"N": {"type": "integer", "minimum": 0}},
        "properties": {"n": {"$ref": "#/$defs/N", "minimum": 5, "description": "at least five"}},
    }
    inlined = without_refs(schema)
    assert "$ref" not in json.dumps(inlined)
    jsonschema.validate({"n": 7}, inlined)
    for bad in ({"n": 3}, {"n": "7"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, inlined)


def test_a_recursive_schema_is_published_as_it_is():
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    assert without_refs(schema) is schema
