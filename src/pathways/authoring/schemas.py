"""The JSON Schema of the rule files (``pathways schema rules``), for authors' editors: generated
from the models, with the condition grammar and a description of every key."""

from __future__ import annotations

from typing import Any

from .._models import Manifest, RuleFile

__all__ = ["rules_schema"]


# What each field of the rule files means, shown by editors on hover and completion.
FIELD_DOCS: dict[str, dict[str, str]] = {
    "Manifest": {
        "id": "Stable id of the rule base ([a-z0-9_-]).",
        "version": "Version of this release of the rule base, e.g. 2026.11.0.",
        "released": "Release date (YYYY-MM-DD).",
        "in_force_from": (
            "Earliest case date the rule base supports (YYYY-MM-DD): cases dated from this day on "
            "get the regime in force on their date. pathways lint (PW318) reports a branch of "
            "the rules that has no rule in force for a period on or after this day. Default: "
            "the earliest valid.from of any fact rule or item."
        ),
        "title": "Title of the rule base, in Chinese and English.",
        "languages": "Languages every text is written in.",
        "files": "Rule files, loaded in this order; the order is also the question order of the wizard.",
        "scenarios": "Scenario files: the rule base's own tests (pathways test).",
    },
    "RuleFile": {
        "route": "The approval route this file describes (route files only; common.yaml has none).",
        "authorities": "Who decides or receives filings.",
        "sources": "Legal instruments cited by questions, facts, routes and items.",
        "questions": "Questions of the wizard; the order is the question order.",
        "facts": "Derived facts: rules that set facts from answers and other facts.",
        "items": "Checklist items of the route.",
    },
    "Text": {"zh": "Chinese text.", "en": "English text."},
    "Authority": {
        "id": "Stable id ([a-z][a-z0-9_]*), named by items' 'authority'.",
        "name": "Name of the authority.",
        "level": "national | municipal | district | other.",
        "parent": "Id of the authority this one belongs to.",
        "url": "Web site.",
    },
    "Source": {
        "id": "Stable id, cited as sources: [{id: ...}].",
        "title": "Title of the instrument.",
        "number": "Document number (文号), e.g. 'SAMR Order No. 47'.",
        "issuer": "Who issued it.",
        "issued": "Date of issue (YYYY-MM-DD).",
        "effective": "Date it takes effect (YYYY-MM-DD).",
        "url": "Where a consultant can read it.",
        "status": "'unconfirmed': the instrument itself needs verification.",
        "note": "Anything a consultant should know about it.",
    },
    "SourceRef": {
        "id": "Id of a source in sources.yaml.",
        "article": 'Article, paragraph or section cited, e.g. "90".',
        "note": "What the citation supports, if not obvious.",
    },
    "Option": {
        "value": "Short id of the option ([A-Za-z0-9_.-]); conditions test it. 'known', 'unknown' and "
        "'none' are reserved.",
        "label": "What the user sees.",
        "help": "Explanation shown with the option.",
    },
    "Question": {
        "id": "Stable id ([a-z][a-z0-9_]*), unique across the rule base; conditions test it by this name.",
        "text": "The question as the user reads it.",
        "type": "yes_no | choice | multi | number | date | text.",
        "help": "Explanation shown with the question.",
        "options": "The choices of a choice or multi question.",
        "unknown": "'allowed': \"don't know\" is a valid answer (conditions may then test 'unknown').",
        "ask_when": "Condition under which the question is asked; absent = always.",
        "unit": "Unit of a number question.",
        "min": "Smallest valid answer of a number question.",
        "max": "Largest valid answer of a number question.",
        "sources": "Legal basis of the question (optional).",
    },
    "FactRule": {
        "id": "Id of the rule (shown in traces).",
        "when": "Condition under which the rule sets its facts.",
        "set": "Facts and the values this rule sets, e.g. {device_class: III}. A derived fact holds one "
        "value: rules setting it to different values must exclude each other.",
        "explain": "Why: shown in the trace of items resting on this rule.",
        "sources": "Legal basis of the rule.",
        "valid": "Dates between which the rule is law (both inclusive).",
        "status": "'unconfirmed': items resting on this rule are shown as 'to be verified'.",
    },
    "DurationRange": {
        "min": "The shortest typical duration.",
        "max": "The longest typical duration.",
        "unit": "working_days | calendar_days | weeks | months | years.",
    },
    "TimeLimit": {
        "working_days": "Duration in working days (give one of working_days, calendar_days, range).",
        "calendar_days": "Duration in calendar days (give one of working_days, calendar_days, range).",
        "range": "A typical duration known only as a range, e.g. {min: 1, max: 3, unit: years} (statutory: false).",
        "of": "What the duration is of, e.g. 'technical review'.",
        "statutory": "true: a time limit set by law; false: a typical or announced average duration.",
        "note": "E.g. how supplementary materials change the clock.",
    },
    "Item": {
        "id": "Stable id ([a-z][a-z0-9_]*) of the checklist item.",
        "route": "The item's route, only for items outside their route's file.",
        "stage": "preparation | classification | testing | clinical | registration | manufacturing | "
        "post_market | incentive.",
        "kind": "obligation: a step the law requires of this product (shown as required / to determine); "
        "option: an expedited programme, pilot, support policy or incentive the company may choose to "
        "apply for when eligible (shown as 'eligible — optional'); guidance: advice, a service window or "
        "a precedent (shown as 'for information').",
        "when": "Condition under which the item is on the checklist (on top of its route applying); "
        "absent = whenever the route applies.",
        "title": "What to do, as a short imperative.",
        "detail": "Details: what, how, what it costs.",
        "authority": "Id of the authority that decides or receives it.",
        "documents": "Documents to prepare.",
        "time_limit": "How long it takes.",
        "after": "Items that come first when they are on the checklist (orders the checklist; does not add them).",
        "replaces": "Items this one replaces (e.g. a new GMP replacing the old one): lint checks that their "
        "validity ranges neither overlap nor leave a gap.",
        "sources": "Legal basis: at least one citation.",
        "valid": "Dates between which the item is law (both inclusive); items coming into force later are "
        "listed as upcoming.",
        "status": "'unconfirmed': shown as 'to be verified'.",
    },
    "Route": {
        "id": "Stable id of the route; conditions test whether it applies as route.<id>: true.",
        "title": "Name of the route.",
        "summary": "What the route covers.",
        "when": "Condition under which the route applies.",
        "owner": "Who keeps this file up to date.",
        "reviewed": "Date of the last review against the regulations (YYYY-MM-DD).",
        "review_by": "Date by which it must be reviewed again; lint warns (PW314) once it has passed.",
        "sources": "Legal basis of the route.",
    },
    "Valid": {"from": "First day in force (inclusive).", "to": "Last day in force (inclusive)."},
}

CONDITION_DOC = (
    "A condition, written as data. A mapping: every entry must hold (AND). Entries:\n"
    "  fact: value            the fact equals value (fact = a question id, a derived fact or route.<id>)\n"
    "  fact: [v1, v2]         the fact is one of the values\n"
    "  fact: {not: v}         the fact is known and is not v ({not: [v1, v2]}: none of them)\n"
    "  fact: {gte: n}         number or date comparison: gte, gt, lte, lt (may combine: {gte: 1, lt: 5})\n"
    "  fact: {has: v}         a multi-choice answer includes v ({has: [v1, v2]}: any of them)\n"
    "  fact: known            answered with a real value / derived\n"
    '  fact: unknown          answered "don\'t know" / could not be derived for lack of answers\n'
    "  all: [c1, c2]          all conditions hold\n"
    "  any: [c1, c2]          at least one holds\n"
    "  not: c                 c does not hold\n"
    "Values are checked against the question: unknown options, wrong types and 'has' on a question "
    "that is not multi-choice are load errors."
)


def _condition_defs() -> dict[str, Any]:
    scalar = {"type": ["string", "number", "boolean"]}
    values = {"anyOf": [scalar, {"type": "array", "items": scalar, "minItems": 1}]}
    return {
        "Condition": {
            "title": "Condition",
            "description": CONDITION_DOC,
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^(all|any|not|(route\.)?[a-z][a-z0-9_]*)$"},
            "properties": {
                "all": {
                    "description": "All of these conditions hold.",
                    "type": "array",
                    "items": {"$ref": "#/$defs/Condition"},
                    "minItems": 1,
                },
                "any": {
                    "description": "At least one of these conditions holds.",
                    "type": "array",
                    "items": {"$ref": "#/$defs/Condition"},
                    "minItems": 1,
                },
                "not": {"description": "This condition does not hold.", "$ref": "#/$defs/Condition"},
            },
            "additionalProperties": {"$ref": "#/$defs/Test"},
        },
        "Test": {
            "title": "Test on one fact",
            "description": "value | [values] | known | unknown | {not: value(s)} | {has: value(s)} | "
            "{gte|gt|lte|lt: number or date}",
            "anyOf": [
                {"description": "Equals this value ('known' / 'unknown': answered / \"don't know\").", **scalar},
                {"description": "Is one of these values.", "type": "array", "items": scalar, "minItems": 1},
                {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": {
                        "not": {"description": "Known and none of these values.", **values},
                        "has": {"description": "A multi-choice answer that includes any of these values.", **values},
                        "gte": {"description": "At least (number or date).", "type": ["number", "string"]},
                        "gt": {"description": "More than (number or date).", "type": ["number", "string"]},
                        "lte": {"description": "At most (number or date).", "type": ["number", "string"]},
                        "lt": {"description": "Less than (number or date).", "type": ["number", "string"]},
                    },
                },
            ],
        },
    }


def _polish(definition: dict[str, Any], name: str) -> None:
    """Drop pydantic's generated property titles, add descriptions, use the condition grammar."""
    docs = FIELD_DOCS.get(name, {})
    for prop, schema in definition.get("properties", {}).items():
        schema.pop("title", None)
        if prop in ("when", "ask_when"):
            schema.clear()
            schema["$ref"] = "#/$defs/Condition"
        if prop in docs:
            schema["description"] = docs[prop]
        for alternative in schema.get("anyOf", ()):
            alternative.pop("title", None)


def rules_schema() -> dict[str, Any]:
    """One schema accepting any rule file: the manifest or a file of questions/facts/items.

    Generated from the models (``pathways schema rules``); the shipped copy is
    ``rules/rules.schema.json``, which rule files name in their yaml-language-server modeline.
    """
    rule_file = RuleFile.model_json_schema(by_alias=True)
    manifest = Manifest.model_json_schema(by_alias=True)
    defs = {**rule_file.pop("$defs", {}), **manifest.pop("$defs", {})}
    defs["RuleFile"] = rule_file
    defs["Manifest"] = manifest
    for name, definition in defs.items():
        _polish(definition, name)
    # what the models accept besides their canonical form
    defs["SourceRef"] = {
        "title": "SourceRef",
        "description": defs["SourceRef"].get("description", ""),
        "anyOf": [
            {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "Id of a source in sources.yaml."},
            defs["SourceRef"],
        ],
    }
    defs["SourceRef"]["anyOf"][1] = {
        k: v for k, v in defs["SourceRef"]["anyOf"][1].items() if k not in ("title", "description")
    }
    article = defs["SourceRef"]["anyOf"][1]["properties"]["article"]
    article["anyOf"].insert(1, {"type": "integer"})
    value = defs["Option"]["properties"]["value"]
    defs["Option"]["properties"]["value"] = {
        "description": value.pop("description", ""),
        "anyOf": [value, {"type": "integer"}],
    }
    version = defs["Manifest"]["properties"]["version"]
    defs["Manifest"]["properties"]["version"] = {
        "description": version.pop("description", ""),
        "anyOf": [version, {"type": "number"}],
    }
    defs.update(_condition_defs())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pathways rule file",
        "description": "A file of a pathways rule base: rulebase.yaml (the manifest) or a rule file "
        "with route, authorities, sources, questions, facts and items. See "
        "docs/rule-language.md and docs/authoring.md.",
        # the manifest is the file with 'files'; if/then/else (not anyOf) lets editors point at
        # the wrong key instead of saying that the whole file matches neither
        "type": "object",
        "if": {"required": ["files"]},
        "then": {"$ref": "#/$defs/Manifest"},
        "else": {"$ref": "#/$defs/RuleFile"},
        "$defs": dict(sorted(defs.items())),
    }
