"""The API in-process (httpx.ASGITransport): endpoints, errors, auth, limits, headers, logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pathways
from pathways._wire import ErrorBody, QuestionsOut, ReloadResult, RuleBaseInfo
from pathways.server import Settings, SettingsError, create_app
from pathways.server.settings import is_loopback, read_tokens
from pathways.server.state import RuleBaseRefused

from ..conftest import pathways_command
from .conftest import ADMIN_TOKEN, CASE, MINI, OTHER_TOKEN, TOKEN

pytestmark = pytest.mark.anyio
AS_OF = "2026-11-24"


def mini_settings(**kw: object) -> Settings:
    return Settings(rules_dir=MINI, check_in_subprocess=False, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def open_app():  # noqa: ANN201
    return create_app(mini_settings())


@pytest.fixture(scope="module")
def auth_app():  # noqa: ANN201
    return create_app(mini_settings(tokens=[TOKEN, OTHER_TOKEN], admin_tokens=[ADMIN_TOKEN]))


@pytest.fixture
async def client(open_app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=open_app), base_url="http://test") as c:
        yield c


@pytest.fixture
async def auth_client(auth_app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=auth_app), base_url="http://test") as c:
        yield c


def error(response: httpx.Response, status: int, code: str) -> ErrorBody:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = ErrorBody.model_validate_json(response.content)
    assert body.code == code, body
    assert "Traceback" not in response.text
    assert body.request_id == response.headers["x-request-id"]
    return body


def names_rulebase(response: httpx.Response, rb: pathways.RuleBase) -> None:
    assert response.headers["x-rulebase-id"] == rb.id
    assert response.headers["x-rulebase-version"] == rb.version
    assert response.headers["x-rulebase-hash"] == rb.content_hash


# ---- endpoints -------------------------------------------------------------------------------


async def test_checklist_equals_evaluate(client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    r = await client.post("/v1/checklist", json={"answers": CASE, "as_of": AS_OF, "lang": "zh"})
    assert r.status_code == 200, r.text
    names_rulebase(r, mini_rb)
    expected = pathways.evaluate(mini_rb, CASE, dt.date(2026, 11, 24), "zh")
    assert r.content == expected.model_dump_json().encode()
    outcome = pathways.Outcome.model_validate_json(r.content)
    assert outcome.rulebase.hash == mini_rb.content_hash
    assert {i.id for i in outcome.items} >= {"agent", "reg", "testing"}


@pytest.mark.parametrize(("fmt", "media", "marker"), [("md", "text/markdown", "# "), ("html", "text/html", "<html")])
async def test_checklist_rendered(
    client: httpx.AsyncClient, mini_rb: pathways.RuleBase, fmt: str, media: str, marker: str
) -> None:
    """The rendered checklist is a document (/v1/document); /v1/checklist answers JSON only and says where
    Markdown and HTML went (they were served there before 0.2)."""
    r = await client.post("/v1/document", json={"answers": CASE, "as_of": AS_OF, "format": fmt})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    names_rulebase(r, mini_rb)
    expected = pathways.render(pathways.evaluate(mini_rb, CASE, dt.date(2026, 11, 24)), fmt)
    assert r.content.decode() == expected
    assert marker in r.text.lower()
    moved = error(
        await client.post("/v1/checklist", json={"answers": CASE, "as_of": AS_OF, "format": fmt}),
        422,
        "invalid_request",
    )
    assert moved.field == "format" and "/v1/document" in moved.message and f"'{fmt}'" in moved.message
    still = await client.post("/v1/checklist", json={"answers": CASE, "as_of": AS_OF, "format": "json"})
    assert still.status_code == 200 and still.headers["content-type"] == "application/json"
    assert pathways.Outcome.model_validate_json(still.content).as_of == dt.date(2026, 11, 24)


async def test_next_question(client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    r = await client.post("/v1/next", json={"answers": {"kind": "device"}, "as_of": AS_OF})
    assert r.status_code == 200
    names_rulebase(r, mini_rb)
    step = pathways.NextQuestion.model_validate_json(r.content)
    assert step == pathways.next_question(mini_rb, {"kind": "device"}, "en", dt.date(2026, 11, 24))
    assert step.question is not None and step.rulebase.hash == mini_rb.content_hash
    done = pathways.NextQuestion.model_validate_json(
        (await client.post("/v1/next", json={"answers": CASE, "as_of": AS_OF})).content
    )
    assert done.question is None


async def test_explain(client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    r = await client.post("/v1/explain", json={"answers": CASE, "item": "reg", "as_of": AS_OF})
    assert r.status_code == 200
    names_rulebase(r, mini_rb)
    got = pathways.Explanation.model_validate_json(r.content)
    assert got == pathways.explain(mini_rb, CASE, "reg", dt.date(2026, 11, 24), "en")
    assert got.on_checklist


async def test_rulebase_and_questions(client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    info = RuleBaseInfo.model_validate_json((await client.get("/v1/rulebase")).content)
    assert (info.id, info.version, info.hash) == (mini_rb.id, mini_rb.version, mini_rb.content_hash)
    assert info.counts.questions == len(mini_rb.questions) and info.counts.items == len(mini_rb.items)
    assert [r.id for r in info.routes] == list(mini_rb.routes)
    r = await client.get("/v1/questions", params={"lang": "zh"})
    names_rulebase(r, mini_rb)
    qs = QuestionsOut.model_validate_json(r.content)
    assert [q.id for q in qs.questions] == list(mini_rb.questions) and qs.lang == "zh"
    assert qs.questions[0].text == "类型"
    error(await client.get("/v1/questions", params={"lang": "fr"}), 422, "invalid_request")


async def test_health_ready_docs(client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["rulebase"]["hash"] == mini_rb.content_hash
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    assert {
        "/v1/checklist",
        "/v1/next",
        "/v1/explain",
        "/v1/rulebase",
        "/v1/questions",
        "/healthz",
        "/readyz",
        "/v1/admin/reload",
    } <= set(spec["paths"])
    answers = spec["components"]["schemas"]["Answers"]
    assert set(answers["properties"]) == set(mini_rb.questions) and answers["additionalProperties"] is False
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "422" in spec["paths"]["/v1/checklist"]["post"]["responses"]


# ---- errors ----------------------------------------------------------------------------------


async def test_bad_json_is_400(client: httpx.AsyncClient) -> None:
    body = error(
        await client.post("/v1/checklist", content=b'{"answers": {', headers={"content-type": "application/json"}),
        400,
        "bad_json",
    )
    assert "not valid JSON" in body.message
    error(await client.post("/v1/checklist", content=b"[1, 2]"), 400, "bad_request")
    error(await client.post("/v1/checklist"), 400, "bad_request")
    error(await client.post("/v1/checklist", content=b"{}", headers={"content-type": "text/plain"}), 400, "bad_request")
    deep = b"[" * 20000 + b"]" * 20000
    error(await client.post("/v1/checklist", content=deep), 400, "bad_json")
    error(await client.post("/v1/checklist", content=b"\xff\xfe{}"), 400, "bad_json")


async def test_unknown_question_names_the_field(client: httpx.AsyncClient) -> None:
    body = error(await client.post("/v1/checklist", json={"answers": {"kindd": "device"}}), 422, "invalid_answers")
    assert body.field == "answers.kindd" and body.suggestion == "kind"
    assert body.issues[0].code == "PA201"


async def test_wrong_types_name_the_field(client: httpx.AsyncClient) -> None:
    body = error(
        await client.post(
            "/v1/checklist", json={"answers": {"kind": "devic", "active": 3, "features": ["sterile", 5]}}
        ),
        422,
        "invalid_answers",
    )
    fields = {i.field: i for i in body.issues}
    assert fields["answers.kind"].suggestion == "device" and fields["answers.kind"].code == "PA203"
    assert fields["answers.active"].code == "PA202"
    assert "answers.features[1]" in fields
    body = error(await client.post("/v1/checklist", json={"answers": [1]}), 422, "invalid_request")
    assert body.field == "answers"
    body = error(
        await client.post("/v1/checklist", json={"answers": {}, "as_of": "24/11/2026"}), 422, "invalid_request"
    )
    assert body.field == "as_of"
    body = error(await client.post("/v1/checklist", json={"answers": {}, "format": "pdf"}), 422, "invalid_request")
    assert body.field == "format"
    body = error(await client.post("/v1/checklist", json={"answers": {}, "answer": {}}), 422, "invalid_request")
    assert body.field == "answer" and "unknown field" in body.message
    body = error(await client.post("/v1/explain", json={"answers": {}}), 422, "invalid_request")
    assert body.field == "item"


async def test_values_the_engine_cannot_take_are_422(client: httpx.AsyncClient) -> None:
    # a lone surrogate is valid JSON but not Unicode; Infinity is accepted by Python's JSON parser
    body = error(
        await client.post("/v1/checklist", content=b'{"answers": {"kind": "\\ud800"}}'), 422, "invalid_answers"
    )
    assert body.field == "answers.kind"
    error(await client.post("/v1/checklist", content=b'{"answers": {"\\ud800": 1}}'), 422, "invalid_request")
    body = error(await client.post("/v1/checklist", content=b'{"answers": {"kind": Infinity}}'), 422, "invalid_answers")
    assert body.field == "answers.kind"
    error(await client.post("/v1/explain", content=b'{"answers": {}, "item": "\\udfff"}'), 422, "invalid_request")
    nested = {"answers": {"features": [[[[[[[[[[["x"]]]]]]]]]]]}}
    error(await client.post("/v1/checklist", json=nested), 422, "invalid_answers")


@pytest.mark.parametrize(
    "as_of",
    [
        0,
        1764000000,
        "1764000000",
        "2026-11-24T00:00:00",
        "2026-11-24 10:00",
        "20261124",
        "2026-W48-2",
        "2026-02-30",
        True,
    ],
)
@pytest.mark.parametrize("path", ["/v1/checklist", "/v1/next", "/v1/explain"])
async def test_as_of_is_a_date_not_a_timestamp(client: httpx.AsyncClient, path: str, as_of: object) -> None:
    """Issue 20: ``as_of: 0`` was read as 1970-01-01 (a Unix timestamp)."""
    request = {"answers": CASE, **({"item": "reg"} if path == "/v1/explain" else {})}
    body = error(await client.post(path, json={**request, "as_of": as_of}), 422, "invalid_request")
    assert body.field == "as_of" and "Value error" not in body.message, body
    assert "date" in body.message
    r = await client.post(path, json={**request, "as_of": "2026-11-24"})
    assert r.status_code == 200, r.text


async def test_unknown_item(client: httpx.AsyncClient) -> None:
    body = error(await client.post("/v1/explain", json={"answers": CASE, "item": "regg"}), 422, "unknown_item")
    assert body.field == "item" and body.suggestion == "reg"


async def test_not_found_and_method(client: httpx.AsyncClient) -> None:
    error(await client.get("/v2/checklist"), 404, "not_found")
    error(await client.get("/v1/checklist"), 405, "method_not_allowed")


async def test_limits(open_app, mini_rb: pathways.RuleBase) -> None:  # noqa: ANN001
    app = create_app(mini_settings(max_body_bytes=1024, max_answers=3, max_text=10))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        big = {"answers": {"kind": "device"}, "lang": "en" + " " * 0, "pad": "x" * 2000}
        body = error(await c.post("/v1/checklist", json=big), 413, "body_too_large")
        assert "1024" in body.message
        names_rulebase(await c.post("/v1/checklist", json=big), mini_rb)

        async def chunks():  # noqa: ANN202 - a body without Content-Length, streamed
            for _ in range(10):
                yield b" " * 200

        error(await c.post("/v1/checklist", content=chunks()), 413, "body_too_large")
        too_many = dict.fromkeys(["kind", "made_in", "active", "implant"])
        body = error(await c.post("/v1/checklist", json={"answers": too_many}), 422, "invalid_answers")
        assert body.issues[0].code == "PA207"
        error(await c.post("/v1/checklist", json={"answers": {"kind": "x" * 11}}), 422, "invalid_answers")
        ok = await c.post("/v1/checklist", json={"answers": {"kind": "device"}})
        assert ok.status_code == 200


async def test_huge_body_default_limit(client: httpx.AsyncClient) -> None:
    huge = json.dumps({"answers": {"kind": "device"}, "x": "y" * (64 * 1024)}).encode()
    error(await client.post("/v1/checklist", content=huge), 413, "body_too_large")
    just_under = {"answers": {"kind": "device"}}
    assert (await client.post("/v1/checklist", json=just_under)).status_code == 200


# ---- auth ------------------------------------------------------------------------------------


async def test_auth_required_when_tokens(auth_client: httpx.AsyncClient, mini_rb: pathways.RuleBase) -> None:
    for method, path in [
        ("POST", "/v1/checklist"),
        ("POST", "/v1/next"),
        ("POST", "/v1/explain"),
        ("GET", "/v1/rulebase"),
        ("GET", "/v1/questions"),
        ("GET", "/v1/nothing"),
    ]:
        r = await auth_client.request(method, path, json={"answers": {}})
        body = error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text and body.rulebase is not None
        names_rulebase(r, mini_rb)
    for bad in [
        "",
        "Bearer",
        "Bearer wrong-token-0123456789",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer " + ADMIN_TOKEN,
    ]:
        r = await auth_client.post("/v1/checklist", json={"answers": {}}, headers={"Authorization": bad})
        error(r, 401, "unauthorized")
    for good in (TOKEN, OTHER_TOKEN):
        r = await auth_client.post("/v1/checklist", json={"answers": {}}, headers={"Authorization": f"Bearer {good}"})
        assert r.status_code == 200
        r = await auth_client.post("/v1/checklist", json={"answers": {}}, headers={"Authorization": f"bearer  {good} "})
        assert r.status_code == 200
    # health, readiness and the documentation stay open (load balancers probe them)
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert (await auth_client.get(path)).status_code == 200
    spec = (await auth_client.get("/openapi.json")).json()
    assert spec["paths"]["/v1/checklist"]["post"]["security"] == [{"bearerAuth": []}]


async def test_admin_endpoint_needs_admin_token(auth_client: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    error(await client.post("/v1/admin/reload"), 403, "forbidden")
    error(await auth_client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}), 401, "unauthorized")
    r = await auth_client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200
    assert ReloadResult.model_validate_json(r.content).changed is False


# ---- reload in-process -----------------------------------------------------------------------


async def test_admin_reload_swaps_and_refuses(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    app = create_app(Settings(rules_dir=rules, admin_tokens=[ADMIN_TOKEN], check_in_subprocess=True))
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        before = (await c.get("/v1/rulebase")).json()
        manifest = rules / "rulebase.yaml"
        manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "2"'))
        result = ReloadResult.model_validate_json((await c.post("/v1/admin/reload", headers=admin)).content)
        assert result.changed and result.previous.hash == before["hash"] and result.current.version == "2"
        r = await c.post("/v1/checklist", json={"answers": CASE})
        assert r.headers["x-rulebase-version"] == "2" and r.json()["rulebase"]["hash"] == result.current.hash
        spec = (await c.get("/openapi.json")).json()
        assert "mini 2" in spec["components"]["schemas"]["Answers"]["description"]
        # a broken rule base is refused with its file:line, and the old one keeps serving
        (rules / "base.yaml").write_text(
            (rules / "base.yaml").read_text().replace("when: {made_in: abroad}", "when: {made_inn: abroad}")
        )
        body = error(await c.post("/v1/admin/reload", headers=admin), 422, "rulebase_invalid")
        assert body.issues and "base.yaml" in (body.issues[0].field or "")
        r = await c.post("/v1/checklist", json={"answers": CASE})
        assert r.status_code == 200 and r.headers["x-rulebase-hash"] == result.current.hash


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# each was "internal error" or a 500 with a traceback (issue 20): (file, old, new, where, code)
BROKEN_FOR_RELOAD = [
    ("routes/dev.yaml", "valid: {from: 2026-11-01}", "valid: {from: 2026-02-30}", "routes/dev.yaml:78:", "PW100"),
    (
        "routes/dev.yaml",
        "valid: {from: 2026-11-01}",
        "valid: {from: 2026-11-01 25:00:00}",
        "routes/dev.yaml:78:",
        "PW100",
    ),
    ("base.yaml", "set: {origin: imported}", "set: {origin: imported, n: .inf}", "base.yaml:23:", "PW132"),
    ("base.yaml", "set: {origin: imported}", "set: {origin: imported, n: .nan}", "base.yaml:23:", "PW132"),
    (
        "routes/dev.yaml",
        "  when: {kind: device}",
        "  when: {kind: device}\n  deep: " + "[" * 900 + "]" * 900,
        "routes/dev.yaml:5:",
        "PW102",
    ),
    ("routes/dev.yaml", "en: Testing}", "en: Test\x07ing}", "routes/dev.yaml:65:", "PW100"),
    ("base.yaml", "level: national}", "level: national, parent: nmpa}", "base.yaml:2:", "PW122"),
    ("routes/dev.yaml", "after: [testing]", "after: !ids [testing]", "routes/dev.yaml:58:", "PW100"),
    ("rulebase.yaml", "routes/dev.yaml]", "routes/dev.yaml, /etc/extra.yaml]", "rulebase.yaml:5:", "PW160"),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "code"),
    BROKEN_FOR_RELOAD,
    ids=[
        "february-30",
        "hour-25",
        "inf-derived",
        "nan-derived",
        "nesting-900",
        "control-character",
        "unknown-parent",
        "tag-on-list",
        "absolute-path",
    ],
)
async def test_admin_reload_refuses_what_fuzzing_found_with_422(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, file: str, old: str, new: str, where: str, code: str
) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    app = create_app(Settings(rules_dir=rules, admin_tokens=[ADMIN_TOKEN], check_in_subprocess=False))
    _edit(rules / file, old, new)
    caplog.set_level(logging.INFO, logger="pathways")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = error(
            await c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}),
            422,
            "rulebase_invalid",
        )
        assert [(i.code, (i.field or "").startswith("mini/" + where)) for i in body.issues] == [(code, True)], body
        assert (await c.get("/v1/rulebase")).json()["version"] == "1"  # the old one keeps serving
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([sys.executable, "-c", "import os; os.abort()"], "crashed"),
        ([sys.executable, "-c", "import time; time.sleep(30)"], "did not finish"),
        (
            [sys.executable, "-c", 'print(\'{"ok": false, "issues": [{"code": "engine", "message": "boom"}]}\')'],
            "does not compile",
        ),
    ],
)
async def test_compile_check_refuses_hang_and_crash(tmp_path: Path, argv: list[str], words: str) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    settings = Settings(rules_dir=rules, admin_tokens=[ADMIN_TOKEN], check_command=argv, check_timeout=1)
    with pytest.raises(RuleBaseRefused, match=words):
        create_app(settings)  # at start-up
    app = create_app(settings, loaded=None, checked_hash=pathways.load_rule_base(rules).content_hash)
    manifest = rules / "rulebase.yaml"
    manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "3"'))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = error(
            await c.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}),
            422,
            "rulebase_invalid",
        )
        assert words in body.message
        assert (await c.get("/v1/rulebase")).json()["version"] == "1"


# ---- bugs, logs ------------------------------------------------------------------------------


async def test_a_bug_is_500_with_request_id_and_no_answers_in_logs(
    open_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # noqa: ANN001
    import pathways.server.app as server_app

    def broken(rb: object, answers: dict[str, str], *args: object, **kwargs: object) -> None:
        raise KeyError(answers["kind"])  # a bug whose message quotes an answer

    monkeypatch.setattr(server_app, "evaluate", broken)
    caplog.set_level(logging.INFO, logger="pathways")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=open_app), base_url="http://t") as c:
        r = await c.post(
            "/v1/checklist",
            json={"answers": {"kind": "SECRET-ANSWER"}},
            headers={"X-Request-ID": "req-123", "Authorization": "Bearer SECRET-TOKEN-abcdefgh"},
        )
    body = error(r, 500, "internal_error")
    assert body.request_id == "req-123" and "req-123" in body.message
    assert "SECRET" not in r.text and "KeyError" not in r.text
    logged = caplog.text
    assert "req-123" in logged and "KeyError" in logged and "broken" in logged
    assert "SECRET" not in logged


async def test_logs_have_no_answers_or_tokens(auth_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = {"kind": "device", "made_in": "abroad"}
    await auth_client.post("/v1/checklist", json={"answers": secret}, headers={"Authorization": f"Bearer {TOKEN}"})
    await auth_client.post(
        "/v1/checklist", json={"answers": {"kind": "sekrit-value"}}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    await auth_client.post(
        "/v1/checklist", json={"answers": secret}, headers={"Authorization": "Bearer guessed-token-123456"}
    )
    assert "POST /v1/checklist 200" in caplog.text and "POST /v1/checklist 401" in caplog.text
    for word in ("abroad", "sekrit", TOKEN, "guessed-token"):
        assert word not in caplog.text


async def test_non_ascii_version_in_headers(tmp_path: Path) -> None:
    from pathways._wire import parse_rulebase_headers

    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    manifest = rules / "rulebase.yaml"
    manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "2026 第二版"'), encoding="utf-8")
    app = create_app(Settings(rules_dir=rules, check_in_subprocess=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/readyz")
    assert r.headers["x-rulebase-version"].isascii()
    assert parse_rulebase_headers(r.headers).version == "2026 第二版" == r.json()["rulebase"]["version"]


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(r.headers["x-request-id"]) == 32


async def test_cors_off_by_default_on_when_asked(client: httpx.AsyncClient) -> None:
    r = await client.options(
        "/v1/checklist", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    app = create_app(mini_settings(cors_origins=["https://portal.example"]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.options(
            "/v1/checklist", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
        )
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        r = await c.post("/v1/checklist", json={"answers": {}}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    # with tokens: the preflight (no token) passes, and a 401 still carries the CORS headers
    app = create_app(mini_settings(cors_origins=["https://portal.example"], tokens=[TOKEN]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.options(
            "/v1/checklist",
            headers={
                "Origin": "https://portal.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://portal.example"
        r = await c.post("/v1/checklist", json={"answers": {}}, headers={"Origin": "https://portal.example"})
        assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "https://portal.example"
        assert "x-rulebase-hash" in r.headers["access-control-expose-headers"].lower()
        r = await c.post(
            "/v1/checklist",
            json={"answers": {}},
            headers={"Origin": "https://portal.example", "Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://portal.example"


# ---- settings --------------------------------------------------------------------------------


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.5.0.1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.org"))


def test_tokens_required_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="without bearer tokens"):
        Settings(host="0.0.0.0").check_exposure(environ={})
    Settings(host="0.0.0.0", allow_anonymous=True).check_exposure(environ={})
    Settings(host="0.0.0.0").check_exposure(environ={"PATHWAYS_SERVER_TOKENS": TOKEN})
    Settings(host="127.0.0.1").check_exposure(environ={})


def test_the_old_server_tokens_variable_still_works_with_a_warning(tmp_path: Path) -> None:
    """PATHWAYS_TOKENS (one letter from the client's PATHWAYS_TOKEN) became PATHWAYS_SERVER_TOKENS."""
    assert Settings().resolve_tokens(environ={"PATHWAYS_SERVER_TOKENS": TOKEN})[0] == [TOKEN]
    with pytest.warns(DeprecationWarning, match=r"\$PATHWAYS_TOKENS is deprecated: name it \$PATHWAYS_SERVER_TOKENS"):
        tokens, _ = Settings().resolve_tokens(environ={"PATHWAYS_TOKENS": TOKEN, "PATHWAYS_SERVER_TOKENS": OTHER_TOKEN})
    assert tokens == [OTHER_TOKEN, TOKEN]
    with pytest.warns(DeprecationWarning):
        Settings(host="0.0.0.0").check_exposure(environ={"PATHWAYS_TOKENS": TOKEN})
    # an operator starting the server sees it on standard error (the server stops here: no rule base)
    env = {**os.environ, "PATHWAYS_TOKENS": TOKEN}
    env.pop("PATHWAYS_SERVER_TOKENS", None)
    result = subprocess.run(
        [*pathways_command(), "serve", "--rules", str(tmp_path / "none"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2, result.stderr
    assert "warning: $PATHWAYS_TOKENS is deprecated: name it $PATHWAYS_SERVER_TOKENS" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_token_sources(tmp_path: Path) -> None:
    f = tmp_path / "t"
    f.write_text(f"# comment\n\n{TOKEN}\n  {OTHER_TOKEN}  \n")
    assert read_tokens(f, "X", {}) == [TOKEN, OTHER_TOKEN]
    assert read_tokens(None, "X", {"X": f"{TOKEN},{OTHER_TOKEN} {TOKEN}"}) == [TOKEN, OTHER_TOKEN]
    f.write_text("short\n")
    with pytest.raises(SettingsError, match="shorter than 16"):
        read_tokens(f, "X", {})
    with pytest.raises(SettingsError, match="cannot read"):
        read_tokens(tmp_path / "missing", "X", {})
    s = Settings(tokens=[TOKEN])
    assert TOKEN not in repr(s) and TOKEN not in s.public_json() and TOKEN not in str(s)


# ---- arbitrary JSON in every answer ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
answer_keys = st.sampled_from(["kind", "made_in", "active", "implant", "features", "nope", ""]) | st.text(max_size=12)


def test_any_json_answers_give_200_or_422(open_app, mini_rb: pathways.RuleBase) -> None:  # noqa: ANN001
    """Whatever JSON the answers hold, the API answers 200 (== evaluate) or a typed 422; never 5xx."""
    import asyncio

    @settings(max_examples=150, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        answers=st.dictionaries(answer_keys, json_values, max_size=6),
        lang=st.sampled_from(["en", "zh"]),
        endpoint=st.sampled_from(["/v1/checklist", "/v1/next", "/v1/explain"]),
    )
    def check(answers: dict[str, object], lang: str, endpoint: str) -> None:
        body = json.dumps(
            {"answers": answers, "lang": lang, "as_of": AS_OF, **({"item": "reg"} if endpoint == "/v1/explain" else {})}
        )

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=open_app), base_url="http://t") as c:
                return await c.post(endpoint, content=body)

        r = asyncio.run(call())
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            err = ErrorBody.model_validate_json(r.content)
            assert err.code in ("invalid_answers", "invalid_request") and err.field
        elif endpoint == "/v1/checklist":
            expected = pathways.evaluate(mini_rb, json.loads(body)["answers"], dt.date(2026, 11, 24), lang)
            assert r.content == expected.model_dump_json().encode()

    check()


@pytest.mark.parametrize("as_of", ["1865-09-26", "2026-11-24", "5800-04-05"])
async def test_xlsx_for_any_case_date(client: httpx.AsyncClient, as_of: str) -> None:
    # a ZIP entry's date is a DOS date (1980-2107); a case dated outside was a 500 (found by test_fuzz)
    import io

    import openpyxl

    r = await client.post("/v1/document", json={"answers": CASE, "as_of": as_of, "format": "xlsx"})
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.properties.modified == dt.datetime.fromisoformat(as_of)
