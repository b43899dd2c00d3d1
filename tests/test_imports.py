"""The public API and the import boundaries (issue 16): ``pathways.__all__`` pinned, every model in
a public signature exported, and what importing each entry point loads. The static boundaries
(the core never imports the wizard; the wizard uses no private core module; durable-rules only in
``pathways._engine``) are import-linter contracts in pyproject.toml, run by ``.ci/run``."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
import textwrap
import types
import typing
from pathlib import Path

import pydantic

import pathways
from pathways import client

PUBLIC = [
    "FORMATS",
    "MAX_ANSWERS",
    "MAX_ANSWERS_BYTES",
    "MAX_TEXT",
    "MEDIA_TYPES",
    "SCHEMA_VERSION",
    "STAGES",
    "STAGE_LABELS",
    "STATUS_LABELS",
    "UNKNOWN",
    "AnswerIssue",
    "AnswerLimits",
    "AnswerSet",
    "AnswersError",
    "EngineError",
    "PathwaysError",
    "RuleBase",
    "RuleBaseError",
    "RuleIssue",
    "Unknown",
    "AnswerGiven",
    "AnswerUsed",
    "AuthorityRef",
    "Conflict",
    "DerivedFact",
    "Explanation",
    "IgnoredAnswer",
    "ItemResult",
    "Labels",
    "NextQuestion",
    "OpenQuestion",
    "OptionOut",
    "Outcome",
    "Progress",
    "QuestionOut",
    "RouteResult",
    "RuleBaseRef",
    "SourceCitation",
    "TimeLimitOut",
    "Timeline",
    "TimelineStep",
    "Trace",
    "TraceFact",
    "CaseDetails",
    "ItemProgress",
    "check_answers",
    "default_rules_dir",
    "duration_text",
    "evaluate",
    "explain",
    "export",
    "giving_way",
    "items_by_route_and_stage",
    "link_kind_text",
    "load_rule_base",
    "next_question",
    "parse_answers_document",
    "question_out",
    "read_answers_file",
    "render",
    "time_limit_text",
    "write_file",
]


def test_the_public_api_is_pinned() -> None:
    # adding a name is a decision (and a CHANGELOG line); removing or renaming one breaks users
    assert pathways.__all__ == PUBLIC
    assert len(set(PUBLIC)) == len(PUBLIC)
    for name in PUBLIC:
        assert getattr(pathways, name) is not None, name
    assert not [name for name in PUBLIC if name.startswith("_")]


def _classes(annotation: object) -> set[type]:
    """The classes named in a type annotation (through unions, generics, Literal is skipped)."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return {annotation}
    found: set[type] = set()
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return found
    if isinstance(origin, type) and origin is not types.UnionType:
        found.add(origin)
    for arg in typing.get_args(annotation):
        found |= _classes(arg)
    return found


def _reachable(start: set[type]) -> set[type]:
    """The package's own classes reachable from ``start`` through fields (pydantic models and
    dataclasses). ``RuleBase`` is a handle: passed to the functions, its fields are not the API."""
    seen: set[type] = set()
    todo = [cls for cls in start if cls.__module__.startswith("pathways")]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        if cls is pathways.RuleBase:
            continue
        hints: dict[str, object] = {}
        if issubclass(cls, pydantic.BaseModel):
            hints = {name: field.annotation for name, field in cls.model_fields.items()}
        elif dataclasses.is_dataclass(cls):
            hints = typing.get_type_hints(cls)
        for hint in hints.values():
            todo += [c for c in _classes(hint) if c.__module__.startswith("pathways") and c not in seen]
    return seen


def test_every_model_in_a_public_signature_is_exported() -> None:
    start: set[type] = set()
    for name in PUBLIC:
        value = getattr(pathways, name)
        if inspect.isfunction(value):
            start |= {c for hint in typing.get_type_hints(value).values() for c in _classes(hint)}
        elif isinstance(value, type):
            start.add(value)
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _reachable(start)
        if cls.__name__ not in pathways.__all__ or getattr(pathways, cls.__name__) is not cls
    )
    assert missing == []


def test_the_clients_models_are_exported_from_the_client() -> None:
    start: set[type] = set()
    for cls in (client.PathwaysClient, client.AsyncPathwaysClient):
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                start |= {c for hint in typing.get_type_hints(method).values() for c in _classes(hint)}
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _reachable(start)
        if not any(
            cls.__name__ in module.__all__ and getattr(module, cls.__name__) is cls for module in (pathways, client)
        )
    )
    assert missing == []


def test_import_hygiene() -> None:
    """What importing each entry point loads (imports are not free: the CLI starts in a fraction of a
    second, a script needs no terminal UI, the client no server), and that only ``pathways._engine``
    imports durable-rules.

    One interpreter, the imports added step by step: a module absent after a step is absent after
    any subset of that step's imports too.
    """
    steps = [
        (
            ["pathways"],
            [
                "pathways.cli",
                "pathways.__main__",
                "pathways_tui",
                "textual",
                "textual_serve",
                "aiohttp",
                "fastapi",
                "uvicorn",
                "starlette",
                "fpdf",
                "openpyxl",
                "pathways.authoring",
            ],
        ),
        (["pathways.cli"], ["pathways_tui", "textual", "textual_serve", "aiohttp", "pathways.authoring"]),
        (
            ["pathways.client", "pathways.server", "pathways.server.check", "pathways._wire"],
            ["fastapi", "uvicorn", "starlette", "textual", "pathways.authoring"],
        ),
    ]
    code = textwrap.dedent(f"""
        import importlib, json, sys
        loaded = []
        for imports, absent in {steps!r}:
            for name in imports:
                importlib.import_module(name)
            loaded.append([name for name in absent if name in sys.modules])
        print(json.dumps(loaded))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[] for _ in steps]

    src = Path(pathways.__file__).parent.parent
    importers = sorted(
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "from durable" in p.read_text(encoding="utf-8") or "import durable" in p.read_text(encoding="utf-8")
    )
    assert importers == ["pathways/_engine.py"]


def test_the_authoring_contract_names_every_run_time_module() -> None:
    """The import-linter contract that keeps ``pathways.authoring`` out of the run time lists the
    modules of pathways by name: one added later must be added there (a sub-package with its
    ``.**``). Only ``pathways.cli`` (and ``pathways.__main__``, which runs it) may import it."""
    import tomllib

    package = Path(pathways.__file__).parent
    config = tomllib.loads((package.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(
        c for c in config["tool"]["importlinter"]["contracts"] if "pathways.authoring" in c.get("forbidden_modules", ())
    )
    sources = set(contract["source_modules"])
    modules = {f"pathways.{p.stem}" for p in package.glob("*.py") if p.stem not in ("__init__", "__main__", "cli")}
    packages = {f"pathways.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    packages.discard("pathways.authoring")
    assert {m for m in sources if m.startswith("pathways.") and not m.endswith(".**")} == modules | packages
    assert {"pathways", "pathways_tui", "pathways_tui.**"} <= sources
    assert {f"{p}.**" for p in packages} <= sources


def test_the_wizard_is_launched_through_its_entry_points() -> None:
    """``pathways wizard`` finds ``pathways_tui.run``/``serve_web`` as entry points (the core never
    imports the wizard); an installation made before they were declared needs ``pip install -e .``."""
    from importlib.metadata import entry_points

    import pathways_tui

    found = {ep.name: ep.load() for ep in entry_points(group="pathways.wizard")}
    assert found == {"run": pathways_tui.run, "serve_web": pathways_tui.serve_web}
    # python -m pathways_tui is pathways wizard: the same options and checks
    done = subprocess.run(
        [sys.executable, "-m", "pathways_tui", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and "--port, --host and --public only go with --web" in done.stderr, done.stderr
