"""Clients generated from the live server's /openapi.json work: openapi-python-client and openapi-typescript.

The Python client is generated in the test run (openapi-python-client, a test extra), imported, and
every endpoint is called with it against a real server on the shipped rule base, with every shipped
example (``examples/*.yaml``): its models must read the answers and every response, typed (enums for
stages, statuses, kinds and routes; the outcome's labels), and give back exactly the JSON the server sent.

The TypeScript types are generated with openapi-typescript (from the npm registry, pinned), and
``tsc --noEmit --strict`` checks a file that assigns every example's request bodies and the server's
real responses to the generated types; a second file with values outside the enums must fail to
compile. Skipped only where node or npm is missing.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml

import pathways

from .conftest import ADMIN_TOKEN, ROOT, Live

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PACKAGE = "pathways_generated_client"
OPERATIONS = [
    "checklist",
    "document",
    "nextQuestion",
    "explain",
    "ruleBase",
    "questions",
    "reload",
    "healthz",
    "readyz",
]
# pinned: a new generator release must not change what this test means without a commit saying so
NPM_PACKAGES = ["openapi-typescript@7.13.0", "typescript@5.9.3"]


def example_answers(path: Path) -> tuple[dict[str, Any], str]:
    """An example's answers as JSON (what a script in any language sends), and its as_of date."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers = json.loads(json.dumps(data["answers"], default=lambda d: d.isoformat()))
    return answers, data["as_of"].isoformat()


@pytest.fixture(scope="module")
def spec(shipped_live: Live) -> dict[str, Any]:
    r = httpx.get(f"{shipped_live.url}/openapi.json", timeout=30)
    assert r.status_code == 200
    return r.json()


def test_operation_ids_are_explicit(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert sorted(ids) == sorted(OPERATIONS)


# ---- Python: openapi-python-client ---------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    tmp = tmp_path_factory.mktemp("generated-python")
    (tmp / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    (tmp / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: not needed to import it
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
            "--config",
            "config.yaml",
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # the generator reports schemas it could not read as warnings and leaves those pieces out
    assert "Warning" not in output and "Unable" not in output, output
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_python_client_every_endpoint_every_example(generated: ModuleType, shipped_live: Live) -> None:
    models = module("models")
    api_check = module("api.checklists.checklist")
    api_document = module("api.checklists.document")
    api_next = module("api.checklists.next_question")
    api_explain = module("api.checklists.explain")
    rb = pathways.load_rule_base(shipped_live.rules)
    client = generated.AuthenticatedClient(base_url=shipped_live.url, token=shipped_live.token, timeout=60.0)
    assert len(EXAMPLES) >= 19
    with client:
        for path in EXAMPLES:
            answers_json, as_of = example_answers(path)
            answers = models.Answers.from_dict(answers_json)  # every answer of every example is read
            assert answers.to_dict() == answers_json, path.name
            day = dt.date.fromisoformat(as_of)
            expected = pathways.evaluate(rb, answers_json, day, "zh")

            outcome = api_check.sync(
                client=client, body=models.CheckRequest(answers=answers, as_of=day, lang=models.CheckRequestLang.ZH)
            )
            assert isinstance(outcome, models.Outcome), (path.name, outcome)
            assert outcome.to_dict() == expected.model_dump(mode="json"), path.name
            assert outcome.items, path.name
            # the outcome's words, typed: the same the exports print (stage titles, statuses, "don't know")
            labels = outcome.labels
            assert isinstance(labels, models.Labels) and labels.dont_know == expected.labels.dont_know == "不清楚"
            for item in outcome.items:
                assert isinstance(item.stage, models.ItemResultStage)
                assert isinstance(item.kind, models.ItemResultKind)
                assert isinstance(item.status, models.ItemResultStatus)
                assert isinstance(item.route, models.RouteId)
                assert labels.stages[item.stage.value] == expected.labels.stages[item.stage]
                assert labels.statuses[item.status.value] == expected.labels.statuses[item.status]
                assert labels.kinds[item.kind.value] == expected.labels.kinds[item.kind]
            assert all(isinstance(r.id, models.RouteId) for r in outcome.routes)

            step = api_next.sync(client=client, body=models.NextRequest(answers=answers, as_of=day))
            assert isinstance(step, models.NextQuestion)
            assert step.to_dict() == pathways.next_question(rb, answers_json, "en", day).model_dump(mode="json")

            item = outcome.items[0].id
            why = api_explain.sync(
                client=client,
                body=models.ExplainRequest(answers=answers, item=models.ExplainRequestItem(item), as_of=day),
            )
            assert isinstance(why, models.Explanation) and why.on_checklist, path.name
            assert isinstance(why.route, models.RouteId)
            assert why.to_dict() == pathways.explain(rb, answers_json, item, day).model_dump(mode="json")

        # the document: its bytes are in .content (the parsed value is text, for Markdown and HTML)
        answers_json, as_of = example_answers(EXAMPLES[0])
        body = models.DocumentRequest(
            answers=models.Answers.from_dict(answers_json),
            as_of=dt.date.fromisoformat(as_of),
            product="ECG AI",
            format_=models.DocumentRequestFormat.PDF,
        )
        pdf = api_document.sync_detailed(client=client, body=body)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        body.format_ = models.DocumentRequestFormat.MD
        md = api_document.sync_detailed(client=client, body=body)
        assert md.status_code == 200 and md.parsed == md.content.decode() and "ECG AI" in md.parsed

        info = module("api.rule_base.rule_base").sync(client=client)
        assert isinstance(info, models.RuleBaseInfo)
        assert (info.id, info.version, info.hash_) == (rb.id, rb.version, rb.content_hash)
        assert [r.id for r in info.routes] == [models.RouteId(r) for r in rb.routes]
        listed = module("api.rule_base.questions").sync(client=client, lang=models.QuestionsLang.ZH)
        assert isinstance(listed, models.QuestionsOut)
        assert [q.id for q in listed.questions] == list(rb.questions)
        assert all(isinstance(q.type_, models.QuestionOutType) for q in listed.questions)

        # a typed error: the generated ErrorBody, with the field at fault
        wrong = api_check.sync_detailed(
            client=client, body=models.CheckRequest.from_dict({"answers": {"made_in": "mars"}})
        )
        assert wrong.status_code == 422 and isinstance(wrong.parsed, models.ErrorBody)
        assert wrong.parsed.code == "invalid_answers" and wrong.parsed.field == "answers.made_in"

    with generated.AuthenticatedClient(base_url=shipped_live.url, token=ADMIN_TOKEN) as admin:
        reloaded = module("api.admin.reload").sync(client=admin)
        assert isinstance(reloaded, models.ReloadResult) and reloaded.changed is False
        assert reloaded.current.hash_ == rb.content_hash
    with generated.Client(base_url=shipped_live.url) as anonymous:
        assert isinstance(module("api.health.healthz").sync(client=anonymous), models.Health)
        ready = module("api.health.readyz").sync(client=anonymous)
        assert isinstance(ready, models.Ready) and ready.rulebase.hash_ == rb.content_hash
        refused = module("api.rule_base.rule_base").sync_detailed(client=anonymous)
        assert refused.status_code == 401 and isinstance(refused.parsed, models.ErrorBody)


# ---- TypeScript: openapi-typescript and tsc ------------------------------------------------------


@pytest.fixture(scope="module")
def typescript(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with api.d.ts generated from the live spec, and tsc installed beside it."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the TypeScript client is not checked")
    tmp = tmp_path_factory.mktemp("generated-typescript")
    (tmp / "package.json").write_text('{"private": true}\n')
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    install = subprocess.run(
        ["npm", "install", "--no-save", "--loglevel=error", *NPM_PACKAGES],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert install.returncode == 0, f"npm install {' '.join(NPM_PACKAGES)} failed:\n{install.stderr[-3000:]}"
    (tmp / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    gen = subprocess.run(
        [str(tmp / "node_modules/.bin/openapi-typescript"), "openapi.json", "-o", "api.d.ts"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert gen.returncode == 0 and (tmp / "api.d.ts").is_file(), gen.stdout + gen.stderr
    return tmp


def tsc(directory: Path, source: str) -> subprocess.CompletedProcess[str]:
    (directory / "check.ts").write_text(source, encoding="utf-8")
    return subprocess.run(
        [
            str(directory / "node_modules/.bin/tsc"),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
            "check.ts",
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )


TS_HEADER = """\
import type { components, operations, paths } from "./api";
type Body<P extends keyof paths, M extends "get" | "post"> =
  NonNullable<paths[P][M]> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Ok<P extends keyof paths, M extends "get" | "post"> =
  NonNullable<paths[P][M]> extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;
type S = components["schemas"];
export const operationIds: (keyof operations)[] = %s;
"""


def test_typescript_types_fit_every_example_and_response(typescript: Path, shipped_live: Live) -> None:
    h = shipped_live.headers()
    lines = [TS_HEADER % json.dumps(OPERATIONS)]
    with httpx.Client(base_url=shipped_live.url, headers=h, timeout=60) as c:
        for n, path in enumerate(EXAMPLES):
            answers, as_of = example_answers(path)
            check = {"answers": answers, "as_of": as_of, "lang": "zh"}
            outcome = c.post("/v1/checklist", json=check)
            assert outcome.status_code == 200
            item = outcome.json()["items"][0]["id"]
            explain = {"answers": answers, "item": item, "as_of": as_of}
            document = {"answers": answers, "format": "xlsx", "product": "X", "progress": {item: {"done": True}}}
            nxt = {"answers": answers, "as_of": as_of}
            lines += [
                f"export const answers{n}: S['Answers'] = {json.dumps(answers, ensure_ascii=False)};",
                f"export const check{n}: Body<'/v1/checklist', 'post'> = {json.dumps(check, ensure_ascii=False)};",
                f"export const outcome{n}: Ok<'/v1/checklist', 'post'> = {outcome.text};",
                f"export const stages{n}: S['ItemResult']['stage'][] = outcome{n}.items.map((i) => i.stage);",
                f"export const words{n}: string[] = outcome{n}.items.map("
                f"(i) => `${{outcome{n}.labels.stages[i.stage]}} ${{outcome{n}.labels.statuses[i.status]}}`);",
                f"export const dontKnow{n}: S['Labels']['dont_know'] = outcome{n}.labels.dont_know;",
                f"export const routes{n}: S['RouteId'][] = outcome{n}.routes.map((r) => r.id);",
                f"export const next{n}: Body<'/v1/next', 'post'> = {json.dumps(nxt, ensure_ascii=False)};",
                f"export const step{n}: Ok<'/v1/next', 'post'> = {c.post('/v1/next', json=nxt).text};",
                f"export const explain{n}: Body<'/v1/explain', 'post'> = {json.dumps(explain, ensure_ascii=False)};",
                f"export const why{n}: Ok<'/v1/explain', 'post'> = {c.post('/v1/explain', json=explain).text};",
                f"export const document{n}: Body<'/v1/document', 'post'> = {json.dumps(document, ensure_ascii=False)};",
            ]
        lines += [
            f"export const info: Ok<'/v1/rulebase', 'get'> = {c.get('/v1/rulebase').text};",
            f"export const questions: Ok<'/v1/questions', 'get'> = {c.get('/v1/questions').text};",
            f"export const health: Ok<'/healthz', 'get'> = {c.get('/healthz').text};",
            f"export const ready: Ok<'/readyz', 'get'> = {c.get('/readyz').text};",
            f"export const bad: S['ErrorBody'] = {c.post('/v1/checklist', json={'answers': {'made_in': 'x'}}).text};",
        ]
    admin = httpx.post(
        f"{shipped_live.url}/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
    )
    assert admin.status_code == 200
    lines.append(f"export const reloaded: Ok<'/v1/admin/reload', 'post'> = {admin.text};")
    result = tsc(typescript, "\n".join(lines) + "\n")
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]

    # the types say something: values outside the enums, and a misspelt question, do not compile
    wrong = [
        "export const a: S['ItemResult']['stage'] = 'nonsense';",
        "export const b: S['RouteId'] = 'no_such_route';",
        "export const c: S['Answers'] = {product_kind: 'spaceship'};",
        "export const d: S['Answers'] = {kind: 'device'};",
        "export const e: Body<'/v1/checklist', 'post'> = {answers: {}, format: 'md'};",
        "export const f: S['Answers'] = {device_active: 'maybe'};",
        "export const g: S['Labels'] = {stages: {}, statuses: {}, kinds: {}};",
    ]
    result = tsc(typescript, TS_HEADER % json.dumps(OPERATIONS) + "\n".join(wrong) + "\n")
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert result.returncode != 0 and len(errors) == len(wrong), result.stdout[-5000:]
    assert sorted({int(line.split("(", 1)[1].split(",", 1)[0]) for line in errors}) == list(
        range(TS_HEADER.count("\n") + 1, TS_HEADER.count("\n") + 1 + len(wrong))
    )
