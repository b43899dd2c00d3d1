"""The response cache: the same request gets the same bytes, and nothing else does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import httpx
import pytest

import pathways
from pathways._wire import CheckRequest
from pathways.server import Settings, create_app
from pathways.server.cache import ResponseCache

from .conftest import ADMIN_TOKEN, CASE, MINI

pytestmark = pytest.mark.anyio
AS_OF = "2026-11-24"


def _request(**kw: object) -> CheckRequest:
    return CheckRequest.model_validate({"answers": CASE, **kw})


# ---- the cache itself ----------------------------------------------------------------------------


def test_least_recently_used_goes_first_and_the_bytes_stay_bounded() -> None:
    cache = ResponseCache(max_bytes=4000)
    for n in range(5):
        cache.put(f"k{n}", bytes(500))  # ~700 bytes an entry with its key and overhead
    assert cache.get("k0") == bytes(500)  # k0 is now the most recent
    cache.put("k5", bytes(500))  # 6 x ~700 bytes: over the bound, k1 (least recent) goes
    assert cache.get("k1") is None
    assert all(cache.get(k) is not None for k in ("k0", "k2", "k3", "k4", "k5"))
    stats = cache.stats()
    assert stats.entries == 5 and stats.bytes <= 4000 and stats.hits == 6 and stats.misses == 1


def test_a_response_too_big_for_its_share_is_not_kept_and_does_not_flush_the_rest() -> None:
    cache = ResponseCache(max_bytes=4000)
    cache.put("small", b"x")
    cache.put("huge", bytes(2000))  # over a quarter of the cache
    assert cache.get("huge") is None and cache.get("small") == b"x"


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    cache = ResponseCache(max_bytes=100_000)
    cache.put("k", bytes(1000))
    before = cache.stats().bytes
    cache.put("k", bytes(1000))
    assert cache.stats().bytes == before and cache.stats().entries == 1


def test_off_keeps_nothing() -> None:
    cache = ResponseCache(max_bytes=0)
    cache.put("k", b"x")
    assert not cache.enabled and cache.get("k") is None and cache.stats().entries == 0


def test_the_key_tells_apart_everything_a_response_depends_on() -> None:
    day = dt.date(2026, 11, 24)
    base = ResponseCache.key("checklist", "h1", day, _request())
    assert base == ResponseCache.key("checklist", "h1", day, _request())
    different = [
        ResponseCache.key("next", "h1", day, _request()),
        ResponseCache.key("checklist", "h2", day, _request()),
        ResponseCache.key("checklist", "h1", day + dt.timedelta(days=1), _request()),
        ResponseCache.key("checklist", "h1", day, _request(lang="zh")),
        ResponseCache.key("checklist", "h1", day, CheckRequest.model_validate({"answers": {**CASE, "active": False}})),
        # 1 and 1.0 and true are different answers
        ResponseCache.key("checklist", "h1", day, CheckRequest.model_validate({"answers": {"n": 1}})),
    ]
    assert len({base, *different}) == len(different) + 1
    assert ResponseCache.key("c", "h", day, CheckRequest.model_validate({"answers": {"n": 1}})) != ResponseCache.key(
        "c", "h", day, CheckRequest.model_validate({"answers": {"n": 1.0}})
    )
    assert ResponseCache.key("c", "h", day, CheckRequest.model_validate({"answers": {"n": 1}})) != ResponseCache.key(
        "c", "h", day, CheckRequest.model_validate({"answers": {"n": True}})
    )


# ---- in the app --------------------------------------------------------------------------------


def _app(rules: Path = MINI, **kw: object):  # noqa: ANN202
    return create_app(Settings(rules_dir=rules, check_in_subprocess=False, **kw))  # type: ignore[arg-type]


async def test_the_same_request_gets_the_same_bytes_from_the_cache(mini_rb: pathways.RuleBase) -> None:
    app = _app()
    cache = app.state.pathways.responses
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = {"answers": CASE, "as_of": AS_OF, "lang": "zh"}
        first = await c.post("/v1/checklist", json=body)
        assert cache.stats().entries == 1 and cache.stats().hits == 0
        second = await c.post("/v1/checklist", json=body)
        assert cache.stats().hits == 1
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert second.content == pathways.evaluate(mini_rb, CASE, AS_OF, "zh").model_dump_json().encode()
        assert second.headers["content-type"] == "application/json"
        # another language, date or answer set is computed, not served from the cache
        for other in (
            {**body, "lang": "en"},
            {**body, "as_of": "2026-10-01"},
            {**body, "answers": {**CASE, "implant": False}},
        ):
            r = await c.post("/v1/checklist", json=other)
            expected = pathways.evaluate(mini_rb, other["answers"], other["as_of"], other["lang"])
            assert r.content == expected.model_dump_json().encode()
        assert cache.stats().hits == 1 and cache.stats().entries == 4
        # each endpoint has its own entries: the same body to /v1/next is the next question, not the checklist
        step = await c.post("/v1/next", json=body)
        again = await c.post("/v1/next", json=body)
        assert step.content == again.content
        assert step.content == pathways.next_question(mini_rb, CASE, "zh", AS_OF).model_dump_json().encode()
        item = {"answers": CASE, "as_of": AS_OF, "item": next(iter(mini_rb.items))}
        why = [await c.post("/v1/explain", json=item) for _ in range(2)]
        assert why[0].status_code == 200 and why[0].content == why[1].content
        assert cache.stats().hits == 3


async def test_documents_are_kept_with_their_case_details() -> None:
    app = _app()
    cache = app.state.pathways.responses
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = {"answers": CASE, "as_of": AS_OF, "format": "pdf", "product": "Stent A"}
        first = await c.post("/v1/document", json=body)
        second = await c.post("/v1/document", json=body)
        assert first.status_code == 200 and first.content[:5] == b"%PDF-"
        assert second.content == first.content and cache.stats().hits == 1
        assert second.headers["content-disposition"] == first.headers["content-disposition"]
        renamed = await c.post("/v1/document", json={**body, "product": "Stent B"})
        assert renamed.content != first.content and cache.stats().hits == 1


async def test_refused_requests_are_not_kept() -> None:
    app = _app()
    cache = app.state.pathways.responses
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for _ in range(2):
            r = await c.post("/v1/checklist", json={"answers": {**CASE, "kind": "spaceship"}, "as_of": AS_OF})
            assert r.status_code == 422
            r = await c.post("/v1/checklist", json={"answers": {"nope": 1}, "as_of": AS_OF})
            assert r.status_code == 422
    assert cache.stats().entries == 0


async def test_a_request_without_a_date_is_kept_under_today() -> None:
    app = _app()
    cache = app.state.pathways.responses
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        before = dt.date.today()
        r = await c.post("/v1/checklist", json={"answers": CASE})
        after = dt.date.today()
    assert r.status_code == 200 and r.json()["as_of"] in {before.isoformat(), after.isoformat()}
    (key,) = cache._entries
    assert f"\n{r.json()['as_of']}\n" in key


async def test_a_reload_that_changes_the_rule_base_empties_it_and_serves_the_new_rules(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    app = _app(rules, admin_tokens=[ADMIN_TOKEN])
    cache = app.state.pathways.responses
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = {"answers": CASE, "as_of": AS_OF}
        old = await c.post("/v1/checklist", json=body)
        manifest = rules / "rulebase.yaml"
        manifest.write_text(manifest.read_text().replace('version: "1"', 'version: "2"'))
        assert (await c.post("/v1/admin/reload", headers=admin)).json()["changed"]
        assert cache.stats().entries == 0
        new = await c.post("/v1/checklist", json=body)
    assert old.json()["rulebase"]["version"] == "1" and new.json()["rulebase"]["version"] == "2"
    assert new.headers["x-rulebase-hash"] == new.json()["rulebase"]["hash"] != old.json()["rulebase"]["hash"]


async def test_response_cache_mb_0_turns_it_off(mini_rb: pathways.RuleBase) -> None:
    app = _app(response_cache_mb=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = {"answers": CASE, "as_of": AS_OF}
        responses = [await c.post("/v1/checklist", json=body) for _ in range(2)]
    assert responses[0].content == responses[1].content
    assert app.state.pathways.responses.stats().entries == 0
