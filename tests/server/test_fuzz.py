"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis on hypothesis).

Every operation gets schema-valid (positive) and schema-invalid (negative) requests; the server
must never answer 5xx, and every answer must match the documented response schema (status code
and body). The OpenAPI document describes the loaded rule base's questions (ids, types, options),
so positive examples reach the engine with real answers. Bounded: a fixed number of examples per
operation and mode (``PATHWAYS_FUZZ_EXAMPLES``), in-process (ASGI) for speed, plus a shorter run
against the real uvicorn server.
"""

from __future__ import annotations

import collections
import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from pathways.server import Settings, create_app

from .conftest import MINI, TOKEN, Live

EXAMPLES = int(os.environ.get("PATHWAYS_FUZZ_EXAMPLES", "30"))
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [not_a_server_error, response_schema_conformance]

app = create_app(Settings(rules_dir=MINI, check_in_subprocess=False, tokens=[TOKEN]))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
OPERATIONS = [(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())]


def fuzz(operation: Any, mode: GenerationMode, examples: int, call: Any) -> collections.Counter[int]:
    statuses: collections.Counter[int] = collections.Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        response = call(case)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        statuses[0] = 0  # no invalid input exists for this operation (e.g. GET without parameters)
    return statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_and_responses_match_the_schema(method: str, path: str, mode: GenerationMode) -> None:
    operation = schema[path][method]
    try:
        operation.as_strategy(mode)
    except Exception as exc:  # pragma: no cover - nothing invalid to generate (e.g. GET without input)
        pytest.skip(f"no {mode.value} data for {method} {path}: {exc}")
    statuses = fuzz(operation, mode, EXAMPLES, lambda case: case.call(headers=AUTH))
    if 0 in statuses:
        pytest.skip(f"no invalid input exists for {method} {path}")
    if mode is GenerationMode.POSITIVE and path in ("/v1/checklist", "/v1/document", "/v1/next", "/v1/explain"):
        assert statuses[200] > 0, statuses  # valid requests did reach the engine


def test_fuzz_against_the_real_server(live: Live) -> None:
    """A shorter run of the same generation against the uvicorn server (2 workers)."""
    remote = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    for result in remote.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                operation.as_strategy(mode)
            except Exception:  # pragma: no cover
                continue
            fuzz(operation, mode, 10, lambda case: case.call(base_url=live.url, headers=AUTH))
