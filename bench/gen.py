"""Synthetic rule bases for the benchmark: many routes built from one repeated block.

A generated base has a common router (``sectors``, a multi-choice question with one option per
route, and one yes/no question every route reads) and one route file per entry of ``blocks``; a
route is that many copies of one block, shaped like the shipped medical-device route in miniature:

    questions  <p>_kind  choice a|b|c|d, "don't know" allowed, asked when the route's sector is chosen
               <p>_flag  yes/no, asked when kind is a or b
               <p>_size  number, asked when kind is known and not a
    facts      <p>_high  (indicator)  kind a and flag
               <p>_level l3 when high; l2 when (kind b or size >= 100) and not high;
                         l1 when kind c|d and size < 100 (valid from 2020-01-01)
    items      one when kind is known, one per level (l3, l2|l3, l1), one for "level unknown",
               one on flag and the common question (validity window, unconfirmed); ``after`` chains

A block compiles to a few dozen engine rules (strict and possible forms, ask/irrelevant rules;
the exact number depends on the compiler, so ``plan`` measures it and sizes the base for a target
rule count). Every item of a route carries the route literal and every block's first question tests
the route's sector, so a route must stay below the engine's 256-rules-per-pattern limit
(the compiler allows 240): keep ``blocks`` per route below ~35.

``case(selected, blocks)`` gives a complete, consistent answer set (only questions the wizard
would ask are answered, so no answer is dropped as irrelevant) that walks different paths in
different blocks, including "don't know".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

KINDS = ["a", "b", "c", "d", "unknown"]


def _t(en: str) -> dict[str, str]:
    return {"zh": en, "en": en}


def route_id(k: int) -> str:
    return f"r{k:02d}"


def _block(rid: str, j: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    p = f"{rid}_b{j:02d}"
    kind, flag, size = f"{p}_kind", f"{p}_flag", f"{p}_size"
    high, level = f"{p}_high", f"{p}_level"
    questions = [
        {"id": kind, "text": _t(f"Kind for {p}?"), "type": "choice", "unknown": "allowed",
         "ask_when": {"sectors": {"has": rid}},
         "options": [{"value": v, "label": _t(v.upper())} for v in ("a", "b", "c", "d")]},
        {"id": flag, "text": _t(f"Flag for {p}?"), "type": "yes_no",
         "ask_when": {kind: ["a", "b"]}},
        {"id": size, "text": _t(f"Size for {p}?"), "type": "number", "min": 0, "max": 100000,
         "unit": _t("units"), "ask_when": {kind: {"not": "a"}}},
    ]
    facts = [
        {"id": f"{p}_high_ind", "when": {kind: "a", flag: True}, "set": {high: True},
         "explain": _t("kind a with flag"), "sources": [{"id": "law"}]},
        {"id": f"{p}_l3", "when": {high: True}, "set": {level: "l3"}, "sources": [{"id": "law"}]},
        {"id": f"{p}_l2", "when": {"any": [{kind: "b"}, {size: {"gte": 100}}], "not": {high: True}},
         "set": {level: "l2"}, "sources": [{"id": "law"}]},
        {"id": f"{p}_l1", "when": {kind: ["c", "d"], size: {"lt": 100}}, "set": {level: "l1"},
         "valid": {"from": "2020-01-01"}, "sources": [{"id": "law"}]},
    ]
    items = [
        {"id": f"{p}_prep", "stage": "preparation", "when": {kind: "known"},
         "title": _t(f"Prepare {p}"), "authority": "auth", "sources": [{"id": "law", "article": "1"}]},
        {"id": f"{p}_reg3", "stage": "registration", "when": {level: "l3"}, "title": _t(f"Register {p} (l3)"),
         "authority": "auth", "after": [f"{p}_test"],
         "time_limit": {"working_days": 60, "of": _t("review"), "statutory": True},
         "sources": [{"id": "law", "article": "3"}]},
        {"id": f"{p}_test", "stage": "testing", "when": {level: ["l2", "l3"]}, "title": _t(f"Test {p}"),
         "after": [f"{p}_prep"], "time_limit": {"working_days": 30, "of": _t("testing"), "statutory": False},
         "sources": [{"id": "law"}]},
        {"id": f"{p}_file1", "stage": "registration", "when": {level: "l1"}, "title": _t(f"File {p} (l1)"),
         "sources": [{"id": "law"}]},
        {"id": f"{p}_determine", "stage": "classification", "when": {level: "unknown"},
         "title": _t(f"Determine the level of {p}"), "sources": [{"id": "law"}]},
        {"id": f"{p}_flagged", "stage": "post_market", "when": {flag: True, "common_flag": True},
         "title": _t(f"Flagged {p}"), "valid": {"from": "2021-01-01", "to": "2030-12-31"},
         "status": "unconfirmed", "sources": [{"id": "law"}]},
    ]
    return questions, facts, items


def generate(root: Path, blocks: list[int]) -> Path:
    """Write a rule base into ``root``: one route per entry of ``blocks``, with that many blocks."""
    routes = len(blocks)
    root.mkdir(parents=True, exist_ok=True)
    (root / "routes").mkdir(exist_ok=True)
    files = ["base.yaml"]
    base = {
        "authorities": [{"id": "auth", "name": _t("Authority"), "level": "national"}],
        "sources": [{"id": "law", "title": _t("Law"), "number": "No. 1", "url": "https://example.org/law"}],
        "questions": [
            {"id": "sectors", "text": _t("Which sectors?"), "type": "multi",
             "options": [{"value": route_id(k), "label": _t(f"Sector {k}")} for k in range(routes)]},
            {"id": "common_flag", "text": _t("Common flag?"), "type": "yes_no", "unknown": "allowed"},
        ],
        "facts": [],
    }
    (root / "base.yaml").write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False))
    for k in range(routes):
        rid = route_id(k)
        qs: list[dict[str, Any]] = []
        fs: list[dict[str, Any]] = []
        its: list[dict[str, Any]] = []
        for j in range(blocks[k]):
            q, f, i = _block(rid, j)
            qs += q
            fs += f
            its += i
        doc = {"route": {"id": rid, "title": _t(f"Route {rid}"), "when": {"sectors": {"has": rid}},
                         "sources": [{"id": "law"}]},
               "questions": qs, "facts": fs, "items": its}
        (root / "routes" / f"{rid}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        files.append(f"routes/{rid}.yaml")
    manifest = {"id": f"gen-{routes}-{sum(blocks)}", "version": "1", "released": "2026-11-24",
                "title": _t("Generated benchmark rule base"), "files": files}
    (root / "rulebase.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def case(selected: list[int], blocks: list[int]) -> dict[str, Any]:
    """A complete answer set for the routes ``selected`` (route numbers) of ``generate(root, blocks)``."""
    from pathways import UNKNOWN

    answers: dict[str, Any] = {"sectors": [route_id(k) for k in selected], "common_flag": True}
    for k in selected:
        rid = route_id(k)
        for j in range(blocks[k]):
            p = f"{rid}_b{j:02d}"
            kind = KINDS[(j + k) % len(KINDS)]
            answers[f"{p}_kind"] = UNKNOWN if kind == "unknown" else kind
            if kind in ("a", "b"):
                answers[f"{p}_flag"] = (j // len(KINDS)) % 2 == 0
            if kind in ("b", "c", "d"):
                answers[f"{p}_size"] = 50 if (j + k) % 2 else 150
    return answers


def count_rules(root: Path, blocks: list[int]) -> int:
    """Compiled engine rules of a generated base (compiles it; does not register it in durable)."""
    import pathways
    from pathways._compiler import compile_rules

    generate(root, blocks)
    return sum(len(p.rules) for p in compile_rules(pathways.load_rule_base(root)).values())


def plan(tmp: Path, target: int, routes: int, max_blocks: int = 30) -> list[int]:
    """Blocks per route so that ``routes`` routes compile to about ``target`` engine rules.

    Measures the compiler on three tiny bases: rules = core + routes * per_route + blocks * per_block.
    """
    one = count_rules(tmp / "plan1", [1])
    two_blocks = count_rules(tmp / "plan2", [2])
    two_routes = count_rules(tmp / "plan3", [1, 1])
    per_block = two_blocks - one
    per_route = two_routes - one - per_block
    core = one - per_route - per_block
    total = max(routes, round((target - core - routes * per_route) / per_block))
    base, extra = divmod(total, routes)
    blocks = [base + (1 if k < extra else 0) for k in range(routes)]
    if max(blocks) > max_blocks:
        raise ValueError(f"{target} rules in {routes} routes needs {max(blocks)} blocks per route; "
                         f"use more routes (at most {max_blocks} blocks per route)")
    return blocks
