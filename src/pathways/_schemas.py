"""JSON Schemas of what the API takes and gives: answers files (per rule base) and the JSON outcome.

The schema of the rule files, for authors' editors, is ``pathways.authoring.schemas``."""

from __future__ import annotations

from typing import Any

from ._loader import RuleBase
from ._outcome import Outcome

__all__ = ["answers_schema", "outcome_schema"]


def _answer_schema(rb: RuleBase, qid: str) -> dict[str, Any]:
    q = rb.questions[qid].model
    if q.type == "yes_no":
        schema: dict[str, Any] = {"type": "boolean"}
    elif q.type == "choice":
        schema = {"type": "string", "enum": list(q.option_values)}
    elif q.type == "multi":
        schema = {"type": "array", "items": {"type": "string", "enum": list(q.option_values)}, "uniqueItems": True}
    elif q.type == "number":
        schema = {"type": "number"}
        if q.min is not None:
            schema["minimum"] = q.min
        if q.max is not None:
            schema["maximum"] = q.max
    elif q.type == "date":
        schema = {"type": "string", "format": "date"}
    else:
        schema = {"type": "string", "maxLength": 2000}
    if q.unknown == "allowed":
        # an enum of one, not a const: openapi-python-client cannot read a const beside a boolean
        schema = {"anyOf": [schema, {"type": "string", "enum": ["unknown"], "description": "don't know"}]}
    schema["title"] = q.text.en
    schema["description"] = q.text.zh
    return schema


def answers_schema(rb: RuleBase) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"pathways answers for rule base {rb.id} {rb.version}",
        "type": "object",
        "additionalProperties": False,
        "required": ["answers"],
        "properties": {
            "rulebase": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "version": {"type": "string"}},
                "additionalProperties": False,
            },
            "as_of": {"type": "string", "format": "date"},
            "case": {"type": "object"},
            "answers": {
                "type": "object",
                "additionalProperties": False,
                "properties": {qid: _answer_schema(rb, qid) for qid in rb.questions},
            },
        },
    }


def outcome_schema() -> dict[str, Any]:
    schema = Outcome.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
