"""Output schemas a client validates quickly: the same constraints with no `$ref` to resolve.

The mcp client checks every structured result against the tool's published outputSchema with
jsonschema, and resolving each `$ref` into `$defs` was half of that check (about 0.15 ms of a
route_turn). Definitions are inlined where they are used; the results themselves are unchanged.
"""

from __future__ import annotations

from typing import Any

DEFS = "#/$defs/"
# Keywords that only describe: where a reference's siblings repeat one of these, the sibling
# wins, as it would beside a $ref. Any other shared keyword keeps both through allOf.
ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
# Values that are data, not schemas: a "$ref" key inside them is not a reference.
DATA = frozenset({"default", "examples", "enum", "const"})


class Recursive(Exception):
    """A definition that refers to itself cannot be inlined."""


def without_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every local reference replaced by its definition, or the schema as it is
    when a definition is recursive or a reference points outside it."""
    if "$defs" not in schema:
        return schema
    defs: dict[str, Any] = schema["$defs"]

    def expand(node: Any, within: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [expand(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        siblings = {
            key: value if key in DATA else expand(value, within)
            for key, value in node.items()
            if key not in ("$ref", "$defs")
        }
        if ref is None:
            return siblings
        name = ref.removeprefix(DEFS) if isinstance(ref, str) else None
        if name is None or not ref.startswith(DEFS) or name not in defs or name in within:
            raise Recursive(ref)
        target = expand(defs[name], within | {name})
        if (siblings.keys() & target.keys()) - ANNOTATIONS:
            return {"allOf": [target], **siblings}
        return {**target, **siblings}

    try:
        return expand(schema, frozenset())
    except Recursive:
        return schema
