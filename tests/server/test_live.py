"""Against real uvicorn servers on 127.0.0.1: endpoints, auth, limits, reload, load, the client."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import pathways
from pathways import client as pc
from pathways._wire import ErrorBody

from .conftest import (
    ADMIN_TOKEN,
    CASE,
    MINI,
    OTHER_TOKEN,
    TOKEN,
    Live,
    clean_env,
    established_connections,
    serving,
    start_server,
    worker_pids,
)

AS_OF = dt.date(2026, 11, 24)
LOAD_REQUESTS = int(os.environ.get("PATHWAYS_TEST_LOAD_REQUESTS", "60"))  # per client; the issue's figure is 500


def answer_space() -> list[dict[str, object]]:
    """Every combination of answers of the mini rule base (720), "not answered" included."""
    out = []
    for kind, made, active, implant, features in itertools.product(
        ["device", "food", "unknown", None],
        ["tianjin", "abroad", None],
        [True, False, "unknown", None],
        [True, False, None],
        [[], ["sterile"], ["measuring"], ["sterile", "measuring"], None],
    ):
        answers = {"kind": kind, "made_in": made, "active": active, "implant": implant, "features": features}
        out.append({k: v for k, v in answers.items() if v is not None})
    return out


# ---- every endpoint, auth, limits ------------------------------------------------------------


def test_every_endpoint(live: Live, mini_rb: pathways.RuleBase) -> None:
    h = live.headers()
    with httpx.Client(base_url=live.url, headers=h, timeout=10) as c:
        r = c.post("/v1/checklist", json={"answers": CASE, "as_of": "2026-11-24"})
        assert r.status_code == 200
        assert r.content == pathways.evaluate(mini_rb, CASE, AS_OF).model_dump_json().encode()
        assert r.headers["x-rulebase-hash"] == mini_rb.content_hash
        assert "server" not in r.headers  # no server banner
        md = c.post("/v1/document", json={"answers": CASE, "as_of": "2026-11-24", "format": "md"})
        assert md.content.decode() == pathways.render(pathways.evaluate(mini_rb, CASE, AS_OF), "md")
        moved = c.post("/v1/checklist", json={"answers": CASE, "as_of": "2026-11-24", "format": "html"})
        assert moved.status_code == 422 and "/v1/document" in moved.json()["message"]
        step = c.post("/v1/next", json={"answers": {"kind": "device"}}).json()
        assert step["question"]["id"] and step["rulebase"]["hash"] == mini_rb.content_hash
        exp = c.post("/v1/explain", json={"answers": CASE, "item": "agent"}).json()
        assert exp["on_checklist"] is True
        assert c.get("/v1/rulebase").json()["hash"] == mini_rb.content_hash
        assert len(c.get("/v1/questions").json()["questions"]) == len(mini_rb.questions)
        assert c.get("/healthz").json() == {"status": "ok"}
        assert c.get("/readyz").status_code == 200
        assert c.get("/openapi.json").json()["openapi"].startswith("3.1")
        assert c.get("/docs").status_code == 200


def test_documents_to_send(live: Live, mini_rb: pathways.RuleBase) -> None:
    """POST /v1/document: the checklist as PDF, XLSX, HTML or Markdown for one case, with its content type;
    the client gets exactly what a local export gives."""
    import io

    import openpyxl
    import pypdf

    outcome = pathways.evaluate(mini_rb, CASE, AS_OF, "zh")
    first = outcome.items[0].id
    case = pathways.CaseDetails(
        product="血糖仪",
        company="ACME",
        case_date=dt.date(2026, 12, 1),
        progress={first: pathways.ItemProgress(True, "done by QA")},
    )
    body = {
        "answers": CASE,
        "as_of": "2026-11-24",
        "lang": "zh",
        "product": "血糖仪",
        "company": "ACME",
        "case_date": "2026-12-01",
        "progress": {first: {"done": True, "note": "done by QA"}},
    }
    with httpx.Client(base_url=live.url, headers=live.headers(), timeout=30) as c:
        for fmt, media in (
            ("pdf", "application/pdf"),
            ("xlsx", "application/vnd.openxmlformats"),
            ("html", "text/html"),
            ("md", "text/markdown"),
        ):
            r = c.post("/v1/document", json={**body, "format": fmt})
            assert r.status_code == 200 and r.headers["content-type"].startswith(media), r.text[:300]
            assert r.headers["content-disposition"] == f'attachment; filename="checklist.{fmt}"'
            assert r.content == pathways.export(outcome, fmt, case=case)
        text = "".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(c.post("/v1/document", json=body).content)).pages
        )
        assert "血糖仪" in text and outcome.items[0].title in text.replace("\n", "")
        book = openpyxl.load_workbook(io.BytesIO(c.post("/v1/document", json={**body, "format": "xlsx"}).content))
        assert [row[3] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
            i.title for i in outcome.items
        ]
        # bad input: the field named, a distinct status, nothing rendered
        for bad, field in (
            ({"format": "docx"}, "format"),
            ({"product": "x" * 201}, "product"),
            ({"case_date": "2026-02-30"}, "case_date"),
            ({"progress": {first: {"done": "maybe"}}}, f"progress.{first}.done"),
        ):
            r = c.post("/v1/document", json={**body, **bad})
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        assert c.post("/v1/document", json={**body, "answers": {"kind": "spaceship"}}).status_code == 422
    with pc.PathwaysClient(live.url, token=TOKEN, timeout=30) as client:
        assert client.document(
            CASE,
            "xlsx",
            as_of=AS_OF,
            lang="zh",
            product="血糖仪",
            company="ACME",
            case_date=dt.date(2026, 12, 1),
            ticked=[first],
            notes={first: "done by QA"},
        ) == pathways.export(outcome, "xlsx", case=case)


def test_auth_on_real_server(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as c:
        r = c.post("/v1/checklist", json={"answers": {}})
        assert r.status_code == 401 and ErrorBody.model_validate_json(r.content).code == "unauthorized"
        r = c.post("/v1/checklist", json={"answers": {}}, headers={"Authorization": "Bearer nope-nope-nope-nope"})
        assert r.status_code == 401
        assert c.post("/v1/checklist", json={"answers": {}}, headers=live.headers(OTHER_TOKEN)).status_code == 200
        assert c.get("/readyz").status_code == 200
        assert c.post("/v1/admin/reload", headers=live.headers()).status_code == 401
    log = live.log_text()
    assert TOKEN not in log and OTHER_TOKEN not in log and "nope-nope" not in log


def test_limits_and_bad_input_on_real_server(live: Live) -> None:
    with httpx.Client(base_url=live.url, headers=live.headers(), timeout=10) as c:
        r = c.post("/v1/checklist", content=b'{"answers": ', headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["code"] == "bad_json"
        r = c.post("/v1/checklist", json={"answers": {"kind": 7, "nope": 1}})
        assert r.status_code == 422
        assert {i["field"] for i in r.json()["issues"]} == {"answers.kind", "answers.nope"}
        r = c.post("/v1/checklist", json={"answers": {"kind": "device"}, "lang": 5})
        assert r.status_code == 422 and r.json()["field"] == "lang"
        for size in (64 * 1024 + 1, 1024 * 1024, 8 * 1024 * 1024):
            try:
                r = c.post("/v1/checklist", content=b'{"answers": {}, "x": "' + b"a" * size + b'"}')
            except httpx.TransportError:  # pragma: no cover - the server may close before reading it all
                continue
            assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        r = c.post("/v1/checklist", json={"answers": {}, "pad": "x" * 70000})
        assert r.status_code == 413

        # a chunked body (no Content-Length) that grows past the limit
        def chunks() -> Iterator[bytes]:
            yield b'{"answers": {}, "x": "'
            for _ in range(100):
                yield b"a" * 1024
            yield b'"}'

        r = c.post("/v1/checklist", content=chunks())
        assert r.status_code == 413
        # the server is still fine
        assert c.post("/v1/checklist", json={"answers": CASE}).status_code == 200


def test_raw_http_garbage(live: Live) -> None:
    """Malformed HTTP and a slow partial request do not hurt the server."""
    for payload in (
        b"GARBAGE\r\n\r\n",
        b"POST /v1/checklist HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/checklist HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", live.port), timeout=5) as s:
            s.sendall(payload)
            try:
                reply = s.recv(4096)
            except (ConnectionResetError, TimeoutError):
                reply = b""
            assert not reply.startswith(b"HTTP/1.1 5")
    assert httpx.get(f"{live.url}/readyz", timeout=5).status_code == 200


def test_workers_each_hold_a_rule_base(live: Live) -> None:
    pids = worker_pids(live)
    assert len(pids) == 2
    log = live.log_text()
    for pid in pids:
        assert f"[{pid}] pathways.server: start-up: serving rule base mini 1" in log


def test_connections_are_spread_over_the_workers(live: Live) -> None:
    """A burst of 32 keep-alive connections must not all land on one worker (each worker has its
    own SO_REUSEPORT socket; with one shared socket the first worker to wake took them all)."""
    conns = []
    try:
        for _ in range(32):
            sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
            conns.append(sock)
        request = ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode()
        for sock in conns:
            sock.sendall(request)
        for sock in conns:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        counts = established_connections(live.port, worker_pids(live))
        assert sum(counts) == 32, counts
        # binomial(32, 1/2): fewer than 4 on a worker has a chance of about 3 in a million
        assert len(counts) == 2 and min(counts) >= 4, counts
    finally:
        for sock in conns:
            sock.close()


# ---- isolation under load --------------------------------------------------------------------


def test_isolation_under_load(live: Live, mini_rb: pathways.RuleBase) -> None:
    """32 concurrent clients, distinct answers: every response equals evaluate() on the same input."""
    space = answer_space()
    dates = [dt.date(2026, 10, 1), dt.date(2026, 11, 24), dt.date(2027, 1, 1)]
    rng = random.Random(7)
    plans = [
        [(rng.randrange(len(space)), rng.choice(dates), rng.choice(["en", "zh"])) for _ in range(LOAD_REQUESTS)]
        for _ in range(32)
    ]
    seen: dict[tuple[int, dt.date, str], set[bytes]] = {}
    failures: list[str] = []

    async def client(plan: list[tuple[int, dt.date, str]]) -> None:
        async with httpx.AsyncClient(base_url=live.url, headers=live.headers(), timeout=60) as c:
            for key in plan:
                index, day, lang = key
                r = await c.post(
                    "/v1/checklist", json={"answers": space[index], "as_of": day.isoformat(), "lang": lang}
                )
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    continue
                seen.setdefault(key, set()).add(r.content)

    async def main() -> None:
        await asyncio.gather(*(client(plan) for plan in plans))

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    assert not failures, failures[:5]
    assert sum(len(p) for p in plans) == 32 * LOAD_REQUESTS
    for (index, day, lang), bodies in seen.items():
        expected = pathways.evaluate(mini_rb, space[index], day, lang).model_dump_json().encode()
        assert bodies == {expected}, (space[index], day, lang)
    print(
        f"\n{32 * LOAD_REQUESTS} requests, {len(seen)} distinct inputs, {elapsed:.1f} s "
        f"({32 * LOAD_REQUESTS / elapsed:.0f} req/s)"
    )


# ---- the client against the real server ------------------------------------------------------


def test_sync_client(live: Live, mini_rb: pathways.RuleBase) -> None:
    with pc.PathwaysClient(live.url, token=TOKEN, timeout=10) as client:
        outcome = client.checklist(CASE, as_of=AS_OF)
        assert outcome == pathways.evaluate(mini_rb, CASE, AS_OF)
        assert client.last_rulebase == outcome.rulebase
        assert client.checklist_text(CASE, "md", as_of=AS_OF) == pathways.render(outcome, "md")
        assert client.checklist_text(CASE, "html", as_of=AS_OF) == pathways.render(outcome, "html")
        assert client.checklist_text(CASE, "json", as_of=AS_OF) == outcome.model_dump_json()
        step = client.next_question({"kind": "device"}, as_of=AS_OF)
        assert step == pathways.next_question(mini_rb, {"kind": "device"}, "en", AS_OF)
        assert client.explain(CASE, "reg", as_of=AS_OF) == pathways.explain(mini_rb, CASE, "reg", AS_OF)
        info = client.rulebase()
        assert (info.id, info.version, info.hash) == (mini_rb.id, mini_rb.version, mini_rb.content_hash)
        assert [q.id for q in client.questions(lang="zh")] == list(mini_rb.questions)
        assert client.ready()
        outcome = client.checklist({"kind": "device", "active": pathways.UNKNOWN}, as_of="2026-11-24")
        assert outcome == pathways.evaluate(mini_rb, {"kind": "device", "active": "unknown"}, AS_OF)

        with pytest.raises(pc.InvalidAnswers) as info_exc:
            client.checklist({"kind": "devise"})
        exc = info_exc.value
        assert isinstance(exc, pathways.AnswersError) and isinstance(exc, pathways.PathwaysError)
        assert exc.status == 422 and exc.code == "invalid_answers" and exc.field == "answers.kind"
        assert exc.issues[0] == pathways.AnswerIssue("PA203", exc.issues[0].message, "answers.kind", "device")
        assert exc.request_id and exc.rulebase and exc.rulebase.hash == mini_rb.content_hash
        with pytest.raises(pc.UnknownItem):
            client.explain(CASE, "nothing")
        with pytest.raises(pc.InvalidRequest) as bad_lang:
            client.checklist({}, lang="fr")
        assert bad_lang.value.field == "lang" and not isinstance(bad_lang.value, pc.InvalidAnswers)
        with pytest.raises(pc.Forbidden if not live.admin_token else pc.Unauthorized):
            client.reload()
    with pc.PathwaysClient(live.url, timeout=10) as anonymous, pytest.raises(pc.Unauthorized):
        anonymous.rulebase()
    with pc.PathwaysClient(live.url + "/nothing", token=TOKEN) as wrong, pytest.raises(pc.NotFound):
        wrong.rulebase()


def test_async_client(live: Live, mini_rb: pathways.RuleBase) -> None:
    async def main() -> None:
        async with pc.AsyncPathwaysClient(live.url, token=TOKEN, timeout=10) as client:
            outcomes = await asyncio.gather(*(client.checklist(a, as_of=AS_OF) for a in answer_space()[:40]))
            for answers, outcome in zip(answer_space()[:40], outcomes, strict=True):
                assert outcome == pathways.evaluate(mini_rb, answers, AS_OF)
            step = await client.next_question({}, as_of=AS_OF)
            assert step.question is not None
            assert (await client.explain(CASE, "agent", as_of=AS_OF)).on_checklist
            assert (await client.rulebase()).hash == mini_rb.content_hash
            assert len(await client.questions()) == len(mini_rb.questions)
            assert "<html" in (await client.checklist_text(CASE, "html")).lower()
            assert await client.ready()
            with pytest.raises(pc.InvalidAnswers):
                await client.checklist({"made_in": "mars"})
            admin = pc.AsyncPathwaysClient(live.url, token=ADMIN_TOKEN)
            assert (await admin.reload()).changed is False
            await admin.aclose()

    asyncio.run(main())


def test_client_retries_connection_errors_then_fails() -> None:
    port = free_closed_port()
    calls = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            return super().handle_request(request)

    client = pc.PathwaysClient(f"http://127.0.0.1:{port}", retries=3, backoff=0.01, timeout=2, transport=Counting())
    started = time.monotonic()
    with pytest.raises(pc.ConnectionFailed) as exc:
        client.checklist(CASE)
    assert len(calls) == 4 and time.monotonic() - started < 5
    assert isinstance(exc.value, pathways.PathwaysError)
    calls.clear()
    with pytest.raises(pc.ConnectionFailed):
        client.reload()  # not idempotent, but a refused connection never reached the server
    assert len(calls) == 4
    assert not client.ready()
    client.close()


def test_client_retries_then_succeeds_and_times_out(live: Live, mini_rb: pathways.RuleBase) -> None:
    attempts = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(
            200,
            content=pathways.evaluate(mini_rb, CASE, AS_OF).model_dump_json().encode(),
            headers={"X-Rulebase-Id": "mini", "X-Rulebase-Version": "1", "X-Rulebase-Hash": mini_rb.content_hash},
        )

    with pc.PathwaysClient("http://127.0.0.1:1", transport=httpx.MockTransport(flaky), backoff=0.01) as client:
        assert client.checklist(CASE).rulebase.hash == mini_rb.content_hash
        assert len(attempts) == 3 and client.last_rulebase and client.last_rulebase.id == "mini"

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pc.PathwaysClient("http://x.invalid", transport=httpx.MockTransport(slow), retries=1, backoff=0.01) as c:
        with pytest.raises(pc.RequestTimedOut):
            c.rulebase()

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>not an API</html>")

    with pc.PathwaysClient("http://x.invalid", transport=httpx.MockTransport(html)) as c:
        with pytest.raises(pc.ProtocolError):
            c.rulebase()

    def boom(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    with pc.PathwaysClient("http://x.invalid", transport=httpx.MockTransport(boom)) as c:
        with pytest.raises(pc.ServerError) as exc:
            c.rulebase()
        assert exc.value.status == 502
    with pytest.raises(pc.ClientError):
        pc.PathwaysClient("ftp://nowhere")


def free_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- reload on a real server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def reloading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("reload")
    rules = tmp / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(tmp, rules, workers=2)
    yield server
    server.stop()


def set_version(rules: Path, version: str) -> None:
    manifest = rules / "rulebase.yaml"
    manifest.write_text(re.sub(r"^version: .*$", f'version: "{version}"', manifest.read_text(), flags=re.M))


def hashes(live: Live, n: int = 12) -> set[str]:
    """Hashes served, over ``n`` fresh connections (so that several workers answer)."""
    return {httpx.get(f"{live.url}/v1/rulebase", headers=live.headers(), timeout=10).json()["hash"] for _ in range(n)}


def all_serve(live: Live, full_hash: str) -> bool:
    """Every worker has logged that it serves ``full_hash``."""
    pids = worker_pids(live) or [live.proc.pid]
    said = serving(live)
    return all(said.get(pid) == full_hash[:12] for pid in pids)


def wait_for(predicate, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_sighup_reload_changes_the_hash(reloading: Live) -> None:
    before = hashes(reloading)
    assert len(before) == 1
    set_version(reloading.rules, "2")
    expected = pathways.load_rule_base(reloading.rules).content_hash
    reloading.hup()
    wait_for(lambda: all_serve(reloading, expected))
    assert hashes(reloading) == {expected}
    with httpx.Client(base_url=reloading.url, headers=reloading.headers(), timeout=10) as c:
        r = c.post("/v1/checklist", json={"answers": CASE})
        assert r.headers["x-rulebase-hash"] == expected and r.json()["rulebase"]["version"] == "2"
    assert len(worker_pids(reloading)) == 2  # reloaded in place: no worker was restarted


def test_broken_rule_base_is_refused_old_keeps_serving(reloading: Live) -> None:
    serving = hashes(reloading)
    assert len(serving) == 1
    base = reloading.rules / "base.yaml"
    good = base.read_text()
    base.write_text(good.replace("set: {origin: imported}", "set: {origin: [imported"))
    try:
        reloading.hup()
        wait_for(lambda: reloading.log_text().count("refused; still serving") >= 2)
        assert hashes(reloading) == serving
        with httpx.Client(base_url=reloading.url, headers=reloading.headers(ADMIN_TOKEN), timeout=30) as c:
            r = c.post("/v1/admin/reload")
            assert r.status_code == 422 and r.json()["code"] == "rulebase_invalid"
            assert "base.yaml" in json.dumps(r.json()["issues"])
        assert hashes(reloading) == serving
    finally:
        base.write_text(good)


def test_what_fuzzing_found_is_refused_with_422_and_no_traceback(reloading: Live) -> None:
    """Issue 20: each of these rule files was an internal error (a 500, a traceback on the console);
    now a 422 naming the file and line, and the old rule base keeps serving."""
    serving = hashes(reloading)
    dev = reloading.rules / "routes" / "dev.yaml"
    good = dev.read_bytes()
    units = (
        b"  - id: units\n    text: {zh: a, en: Units}\n    type: number\n    ask_when: {kind: device}\n"
        b"  - id: features\n"
    )
    cases = [  # (the file's new bytes, a piece of it where the issue must point, the code)
        (good.replace(b"valid: {from: 2026-11-01}", b"valid: {from: 2026-02-30}"), b"2026-02-30", "PW100"),
        (good.replace(b"en: Testing}", b"en: Test\xffing}"), b"\xff", "PW100"),
        (
            good.replace(
                b"  when: {kind: device}\n", b"  when: {kind: device}\n  deep: " + b"[" * 900 + b"]" * 900 + b"\n", 1
            ),
            b"  deep:",
            "PW102",
        ),
        (
            good.replace(b"  - id: features\n", units, 1).replace(
                b"when: {origin: imported}", b"when: {origin: imported, units: {gte: .inf}}"
            ),
            b"{gte: .inf}",
            "PW132",
        ),
    ]
    log_start = len(reloading.log_text())
    try:
        with httpx.Client(base_url=reloading.url, headers=reloading.headers(ADMIN_TOKEN), timeout=60) as c:
            for text, at, code in cases:
                dev.write_bytes(text)
                r = c.post("/v1/admin/reload")
                assert r.status_code == 422 and r.json()["code"] == "rulebase_invalid", r.text
                line = text[: text.index(at)].count(b"\n") + 1
                assert [(i["code"], i["field"].split(":")[:2]) for i in r.json()["issues"]] == [
                    (code, ["mini/routes/dev.yaml", str(line)])
                ], r.json()["issues"]
        assert hashes(reloading) == serving
    finally:
        dev.write_bytes(good)
    assert "Traceback" not in reloading.log_text()[log_start:]


def test_admin_reload_reaches_every_worker(reloading: Live) -> None:
    set_version(reloading.rules, "3")
    expected = pathways.load_rule_base(reloading.rules).content_hash
    with pc.PathwaysClient(reloading.url, token=ADMIN_TOKEN, timeout=60) as admin:
        result = admin.reload()
    assert result.changed and result.current.hash == expected
    wait_for(lambda: all_serve(reloading, expected))
    assert hashes(reloading) == {expected}


def test_reload_under_load_fails_no_request(reloading: Live) -> None:
    """Clients keep sending while the rule base is swapped twice: no request fails."""
    versions = iter(["4", "5"])
    results: list[tuple[int, str]] = []
    stop = asyncio.Event()

    async def client() -> None:
        async with httpx.AsyncClient(base_url=reloading.url, headers=reloading.headers(), timeout=60) as c:
            while not stop.is_set():
                r = await c.post("/v1/checklist", json={"answers": CASE})
                results.append((r.status_code, r.headers.get("x-rulebase-hash", "")))

    async def reloader() -> list[str]:
        seen = []
        for version in versions:
            await asyncio.sleep(0.5)
            set_version(reloading.rules, version)
            seen.append(pathways.load_rule_base(reloading.rules).content_hash)
            reloading.hup()
            for _ in range(600):
                await asyncio.sleep(0.05)
                if all_serve(reloading, seen[-1]):
                    break
        await asyncio.sleep(0.5)
        stop.set()
        return seen

    async def main() -> list[str]:
        tasks = [asyncio.create_task(client()) for _ in range(8)]
        seen = await reloader()
        await asyncio.gather(*tasks)
        return seen

    before = set(serving(reloading).values())
    seen = asyncio.run(main())
    assert results and all(status == 200 for status, _ in results), [r for r in results if r[0] != 200][:5]
    assert {h[:12] for _, h in results} <= before | {h[:12] for h in seen}
    assert results[-1][1] == seen[-1] and all_serve(reloading, seen[-1])
    assert hashes(reloading) == {seen[-1]}


# ---- one worker, no tokens: SIGHUP handled by the worker itself -------------------------------


def test_single_worker_no_auth_and_sighup(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(tmp_path, rules, workers=1, tokens=False, admin=False)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            assert c.post("/v1/checklist", json={"answers": CASE}).status_code == 200
            assert c.post("/v1/admin/reload").status_code == 403
            set_version(rules, "9")
            server.hup()
            wait_for(lambda: c.get("/v1/rulebase").json()["version"] == "9")
        assert server.proc.poll() is None
    finally:
        server.stop()
    assert server.proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean shutdown


# ---- refusing to start -----------------------------------------------------------------------


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pathways.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or clean_env(),
    )


def test_serve_refuses_beyond_loopback_without_tokens() -> None:
    done = run_serve("--rules", str(MINI), "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2 and "without bearer tokens" in done.stderr and "Traceback" not in done.stderr


def test_serve_refuses_broken_rules(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    (rules / "base.yaml").write_text(
        (rules / "base.yaml").read_text().replace("when: {made_in: abroad}", "when: {made_inn: abroad}")
    )
    done = run_serve("--rules", str(rules), "--port", "1")
    assert done.returncode == 2 and "base.yaml:" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "short"
    bad.write_text("short\n")
    done = run_serve("--rules", str(MINI), "--port", "1", "--token-file", str(bad))
    assert done.returncode == 2 and "shorter than 16" in done.stderr


def test_checklist_cli_with_server(live: Live, tmp_path: Path, mini_rb: pathways.RuleBase) -> None:
    answers = tmp_path / "case.json"
    answers.write_text(json.dumps({"as_of": "2026-11-24", "answers": CASE}))
    env = clean_env(PATHWAYS_TOKEN=TOKEN)
    cli = [sys.executable, "-m", "pathways.cli", "checklist", str(answers)]
    remote = subprocess.run(
        [*cli, "--server", live.url, "--format", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    local = subprocess.run(
        [*cli, "--rules", str(MINI), "--format", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"answers": {"kind": "devise"}}))
    done = subprocess.run(
        [*cli[:-1], str(bad), "--server", live.url], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2 and "answers.kind" in done.stderr and "did you mean 'device'" in done.stderr
    done = subprocess.run([*cli, "--server", live.url], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert done.returncode == 2 and "unauthorized" in done.stderr
    done = subprocess.run(
        [*cli, "--server", f"http://127.0.0.1:{free_closed_port()}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "ConnectError" in done.stderr and "Traceback" not in done.stderr


def test_server_process_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(tmp_path, rules, workers=2, tokens=False, admin=False)
    workers = worker_pids(server)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(20) in (0, -signal.SIGTERM)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 10)


def _gone(pid: int) -> bool:
    """The process has ended (no longer exists, or a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_die_with_a_sigkilled_supervisor(tmp_path: Path) -> None:
    """Issue 20 item 7: `kill -9` of the supervisor leaves no worker running or listening."""
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    server = start_server(tmp_path, rules, workers=2, tokens=False, admin=False)
    workers: list[int] = []
    try:
        wait_for(lambda: len(worker_pids(server)) == 2, 30)
        workers = worker_pids(server)
        assert _listening(server.port)
        server.proc.send_signal(signal.SIGKILL)
        assert server.proc.wait(20) == -signal.SIGKILL
        wait_for(lambda: all(_gone(pid) for pid in workers), 10)
        assert not _listening(server.port)
    finally:
        server.stop()
        for pid in workers:
            if not _gone(pid):  # pragma: no cover - the failure case: leave no orphan behind
                os.kill(pid, signal.SIGKILL)


_ORPHAN_CHILD = """
import os, sys, time
from pathways.server import worker
worker.set_parent_death_signal = lambda sig: False    # the portable guard alone
worker.die_with_parent(os.getppid(), grace=5)
print("ready", flush=True)
time.sleep(60)
"""

_ORPHAN_PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE)
assert child.stdout.readline().strip() == b"ready"
print(child.pid, flush=True)
import os; os._exit(0)    # no shutdown: the child is orphaned
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_parent_pid_guard_without_the_death_signal() -> None:
    """Where there is no PR_SET_PDEATHSIG, the parent-pid watch alone ends an orphaned worker."""
    done = subprocess.run(
        [sys.executable, "-c", _ORPHAN_PARENT, _ORPHAN_CHILD],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    wait_for(lambda: _gone(pid), 10)
