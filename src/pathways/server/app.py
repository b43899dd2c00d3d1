"""The FastAPI application: ``create_app(settings)``.

Endpoints (JSON unless said otherwise):

    POST /v1/checklist      answers, as_of, lang → Outcome (JSON only; documents: /v1/document)
    POST /v1/document       answers, as_of, lang, format pdf|xlsx|html|md, case details → the file
    POST /v1/next           answers, as_of, lang → NextQuestion (question + progress), for remote wizards
    POST /v1/explain        answers, item, as_of, lang → Explanation
    GET  /v1/rulebase       id, version, hash, routes, counts
    GET  /v1/questions      every question (?lang=zh|en)
    POST /v1/admin/reload   re-read the rules directory (admin token); atomic swap or refusal
    GET  /healthz           the process is alive
    GET  /readyz            a rule base is loaded and compiled: ready to serve
    GET  /openapi.json, /docs (Swagger UI, its assets served from the package: ``docs.py``)

Every response carries ``X-Request-ID`` and ``X-Rulebase-Id/-Version/-Hash`` naming the rule base
that served it (bodies of checklists and next questions name it too). Errors are typed JSON
(``pathways._wire.ErrorBody``), never a stack trace.

The front door (``_FrontDoor``, a plain ASGI middleware) does, in order: request id, bearer-token
check (constant time), body limit (Content-Length and actual bytes), the rule-base snapshot for
the request, response headers, the access log line (method, path, status, time: never a body,
a query string or a header) and the last-resort 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hmac
import json
import logging
import os
import re
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from .._answers import AnswerLimits
from .._api import Explanation, evaluate, explain, next_question
from .._document import CaseDetails, ItemProgress
from .._errors import AnswerIssue, AnswersError, EngineError
from .._loader import RuleBase
from .._outcome import NextQuestion, Outcome
from .._render import MEDIA_TYPES, SUFFIXES, export
from .._schemas import answers_schema
from .._wire import (
    CheckRequest,
    DocumentRequest,
    ErrorBody,
    ErrorIssue,
    ExplainRequest,
    Health,
    NextRequest,
    QuestionsOut,
    Ready,
    ReloadResult,
    RuleBaseInfo,
    error_body,
)
from .docs import add_docs
from .settings import Settings
from .state import Loaded, RuleBaseRefused, State, load_checked, supervisor_pid
from .turns import Turns

__all__ = ["create_app", "worker_app"]

M = TypeVar("M", bound=BaseModel)  # what an endpoint computes: its response's model

log = logging.getLogger("pathways.server")
access_log = logging.getLogger("pathways.server.access")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_JSON = b"application/json"

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Not a JSON object (bad_json, bad_request)."},
    401: {"model": ErrorBody, "description": "Missing or invalid bearer token (unauthorized)."},
    413: {"model": ErrorBody, "description": "Body larger than the limit (body_too_large)."},
    422: {
        "model": ErrorBody,
        "description": "A field is invalid (invalid_request, invalid_answers, unknown_item); `field` names it.",
    },
}
_GET_ERRORS: dict[int | str, dict[str, Any]] = {k: v for k, v in _ERRORS.items() if k in (401, 422)}


# ---- errors ----------------------------------------------------------------------------------


def _json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json", headers=headers)


def _loaded_of(request: Request) -> Loaded | None:
    loaded: Loaded | None = request.scope.get("state", {}).get("pathways.loaded")
    return loaded


def _error(
    request: Request, status: int, code: str, message: str, issues: list[ErrorIssue] | None = None, **extra: Any
) -> Response:
    loaded = _loaded_of(request)
    body = error_body(
        code,
        message,
        issues,
        request_id=request.scope.get("state", {}).get("request_id"),
        rulebase=loaded.ref if loaded else None,
        **extra,
    )
    return _json_response(status, body)


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    out = ""
    for p in parts:
        if p.isdigit() and out:
            out += f"[{p}]"
        elif p == "[key]":
            continue
        else:
            out += ("." if out else "") + p
    return out or "body"


def _answers_error(request: Request, exc: AnswersError) -> Response:
    issues = [
        ErrorIssue(code=i.code, message=_clip(i.message), field=_clip(i.field, 250), suggestion=i.suggestion)
        for i in exc.issues
    ]
    codes = {i.code for i in exc.issues}
    if codes == {"PA209"}:
        code, message = "unknown_item", issues[0].message
    else:
        code = "invalid_answers"
        message = f"{len(issues)} invalid answer(s): " + "; ".join(f"{i.field}: {i.message}" for i in issues[:3])
    return _error(request, 422, code, _clip(message, 600), issues)


def _is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return True
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next((str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("type") == "json_invalid"), "")
        return _error(request, 400, "bad_json", _clip(f"the body is not valid JSON: {detail}".rstrip(": ")))
    if not _is_json_type(request.headers.get("content-type")):
        return _error(request, 400, "bad_request", "send the body as JSON (Content-Type: application/json)")
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        kind = next(e.get("type") for e in errors if tuple(e.get("loc", ())) == ("body",))
        if kind == "missing":
            return _error(request, 400, "bad_request", "a JSON object body is required")
        return _error(request, 400, "bad_request", "the body must be a JSON object")
    issues = []
    for e in errors[:50]:
        field = _field_of(tuple(e.get("loc", ())))
        kind = str(e.get("type", "invalid"))
        message = str(e.get("msg", "invalid"))
        if kind == "extra_forbidden":
            message = f"unknown field '{field.rsplit('.', 1)[-1]}'"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        issues.append(ErrorIssue(code=kind, message=_clip(message), field=_clip(field, 250)))
    message = "; ".join(f"{i.field}: {i.message}" for i in issues[:3])
    return _error(request, 422, "invalid_request", _clip(message, 600), issues)


_HTTP_CODES = {
    400: "bad_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    503: "not_ready",
}


def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "error")
    if exc.status_code == 400:
        message = "the body could not be parsed as JSON"
    elif exc.status_code == 404:
        message = f"no such endpoint: {_clip(request.url.path, 100)} (see /docs)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {_clip(request.url.path, 100)}"
    else:
        message = str(exc.detail)
    response = _error(request, exc.status_code, code, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


# ---- the front door (ASGI middleware) --------------------------------------------------------


def _raw_error(
    status: int,
    code: str,
    message: str,
    request_id: str,
    loaded: Loaded | None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[Message, Message]:
    body = json.dumps(
        error_body(code, message, request_id=request_id, rulebase=loaded.ref if loaded else None)
    ).encode()
    headers = [(b"content-type", _JSON), (b"content-length", str(len(body)).encode()), *(extra_headers or [])]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )


def _log_bug(request_id: str, where: str, exc: BaseException) -> None:
    """Log a bug with its stack, but not the exception's message (it may quote answers)."""
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error(
        "internal error [request %s] in %s: %s (message withheld: it may contain answers)\n%s",
        request_id,
        where,
        type(exc).__name__,
        frames.rstrip(),
    )


def method_needs_type(scope: Scope) -> bool:
    return scope.get("method") in ("POST", "PUT", "PATCH")


class _FrontDoor:
    def __init__(self, app: Any, state: State, settings: Settings) -> None:
        self.app = app
        self.state = state
        self.max_body = settings.max_body_bytes

    def _authorised(self, headers: list[tuple[bytes, bytes]], tokens: list[bytes]) -> bool:
        value = b""
        for key, val in headers:
            if key == b"authorization":
                value = val
                break
        scheme, _, token = value.partition(b" ")
        token = token.strip()
        ok = False
        for candidate in tokens:  # compare with every token, always: no early exit, constant time
            ok |= hmac.compare_digest(token, candidate)
        return ok and scheme.lower() == b"bearer" and bool(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        request_id = ""
        content_length = None
        for key, val in headers:
            if key == b"x-request-id":
                text = val.decode("latin-1")
                if _REQUEST_ID.match(text):
                    request_id = text
            elif key == b"content-length":
                content_length = val
        request_id = request_id or uuid.uuid4().hex
        if method_needs_type(scope) and not any(k == b"content-type" for k, _ in headers):
            scope["headers"] = headers = [*headers, (b"content-type", _JSON)]  # curl -d without -H
        loaded = self.state.current  # the rule base this request will use, start to end
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["pathways.loaded"] = loaded
        status_box = [0]
        path: str = scope.get("path", "")
        method: str = scope.get("method", "")

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode()), *loaded.headers]
            await send(message)

        async def reply(status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
            start, body = _raw_error(status, code, message, request_id, loaded, extra)
            await send_wrapped(start)
            await send_wrapped(body)

        try:
            if path.startswith("/v1/") or path == "/v1":
                admin = path.startswith("/v1/admin/")
                tokens = self.state.admin_tokens if admin else self.state.tokens
                if admin and not tokens:
                    await reply(
                        403,
                        "forbidden",
                        "the admin endpoints are disabled: start the server "
                        "with --admin-token-file or $PATHWAYS_ADMIN_TOKENS",
                    )
                    return
                if tokens and not self._authorised(headers, tokens):
                    await reply(
                        401,
                        "unauthorized",
                        "missing or invalid bearer token (send 'Authorization: Bearer <token>')",
                        [(b"www-authenticate", b'Bearer realm="pathways"')],
                    )
                    return
            if content_length is not None:
                try:
                    declared = int(content_length)
                except ValueError:
                    await reply(400, "bad_request", "invalid Content-Length header")
                    return
                if declared > self.max_body:
                    await reply(413, "body_too_large", f"the body has {declared} bytes; the limit is {self.max_body}")
                    return
            # read the whole body now (it is small, bounded) and replay it to the application
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await reply(413, "body_too_large", f"the body is larger than the limit of {self.max_body} bytes")
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send_wrapped)
        except Exception as exc:
            _log_bug(request_id, f"{method} {path}", exc)
            if status_box[0] == 0:
                status_box[0] = 500
                await reply(500, "internal_error", f"internal error (a bug: please report request id {request_id})")
        finally:
            access_log.info(
                "%s %s %s %d %.1fms", request_id, method, path, status_box[0], (time.perf_counter() - started) * 1000
            )


def _json(model: BaseModel) -> bytes:
    """``model.model_dump_json().encode()``, without the round trip through a str (a checklist is
    ~64 KiB: decoding and encoding it again cost ~0.07 ms a request)."""
    return model.__pydantic_serializer__.to_json(model)


# ---- limits ----------------------------------------------------------------------------------


def _bad_value(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot reach the engine (lone surrogates, non-finite numbers), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text that is not valid Unicode (a lone surrogate)"
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "a number that is not finite"
    elif isinstance(value, (list, dict)):
        if depth > 8:
            return "a value nested too deeply"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            why = _bad_value(key, depth + 1) or _bad_value(item, depth + 1)
            if why:
                return why
    return None


def _check_json(answers: dict[str, Any], limits: AnswerLimits) -> None:
    """What only JSON can bring, before the core's answer check (``check_answers``, with this
    server's limits, names every other bad field): invalid Unicode, deep nesting, non-finite numbers."""
    if len(answers) > limits.max_answers:
        return  # the core says so (PA207), and nothing else
    issues = []
    for qid, value in answers.items():
        if _bad_value(qid):
            issues.append(AnswerIssue("PA201", "a question id that is not valid Unicode", "answers"))
            continue
        why = _bad_value(value)
        if why:
            issues.append(AnswerIssue("PA202", f"expected a valid answer, got {why}", f"answers.{qid}"))
    if issues:
        raise AnswersError(issues)


# ---- OpenAPI ---------------------------------------------------------------------------------


def _answers_component(loaded: Loaded) -> dict[str, Any]:
    schema = answers_schema(loaded.rb)["properties"]["answers"]
    props = {}
    for qid, prop in schema["properties"].items():
        title, description = prop.pop("title", None), prop.pop("description", None)
        variants = prop["anyOf"] if "anyOf" in prop else [prop]
        props[qid] = {
            "anyOf": [*variants, {"type": "null", "description": "not answered"}],
            "title": title,
            "description": description,
        }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "description": f"Answers for rule base {loaded.ref.id} {loaded.ref.version} ({loaded.ref.hash[:12]}). "
        "Question id → answer; null means not answered.",
    }


def _defaults_into_descriptions(schema: dict[str, Any]) -> None:
    """A request field's default, said in words rather than as ``default``: openapi-typescript (7, by
    default) types a property with a ``default`` as required, so generated clients would have to send
    every field. The server applies the defaults; the fields stay optional."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop:
            default = prop.pop("default")
            if default not in (None, {}, [], ""):
                words = f"Default: {json.dumps(default, ensure_ascii=False)}."
                prop["description"] = f"{prop['description']} {words}" if prop.get("description") else words


def _openapi(app: FastAPI, state: State, settings: Settings) -> dict[str, Any]:
    loaded = state.current
    cached = getattr(app.state, "openapi_cache", None)
    if cached is not None and cached[0] == loaded.ref.hash:
        cached_schema: dict[str, Any] = cached[1]
        return cached_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, openapi_version="3.1.0"
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Answers"] = _answers_component(loaded)
    for name in ("CheckRequest", "DocumentRequest", "NextRequest", "ExplainRequest"):
        components[name]["properties"]["answers"] = {"$ref": "#/components/schemas/Answers"}
    components["ExplainRequest"]["properties"]["item"]["enum"] = list(loaded.rb.items)
    for name in ("CheckRequest", "DocumentRequest", "NextRequest", "ExplainRequest", "ItemProgressIn"):
        _defaults_into_descriptions(components[name])
    # route ids are the rule base's, like question and item ids: an enum generated clients can use
    components["RouteId"] = {
        "type": "string",
        "enum": list(loaded.rb.routes),
        "description": "A route (approval pathway) of the rule base.",
    }
    for name, prop in (("ItemResult", "route"), ("RouteResult", "id"), ("RouteInfo", "id"), ("Explanation", "route")):
        described = components[name]["properties"][prop]
        components[name]["properties"][prop] = {
            "$ref": "#/components/schemas/RouteId",
            **{k: v for k, v in described.items() if k == "description"},
        }
    schema["components"]["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "Required when the server has tokens (always beyond loopback).",
        }
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/v1/"):
            for op in operations.values():
                op["security"] = [{"bearerAuth": []}] if (state.tokens or path.startswith("/v1/admin/")) else []
    app.state.openapi_cache = (loaded.ref.hash, schema)
    return schema


# ---- the application -------------------------------------------------------------------------

_DESCRIPTION = """\
Which Chinese approval routes a product needs, and what each demands: checklists for scripts and
remote wizards. Stateless: every request carries all the answers. Every response names the rule
base (id, version, content hash) that produced it, in the `X-Rulebase-*` headers.

Errors are JSON objects with a stable `code`, a `message`, the `field` at fault and every `issue`
(see the ErrorBody schema). Authentication: `Authorization: Bearer <token>` on `/v1/*` when the
server has tokens (always when it listens beyond loopback).
"""


def create_app(
    settings: Settings | None = None,
    *,
    loaded: Loaded | None = None,
    checked_hash: str | None = None,
    handle_sighup: bool = False,
) -> FastAPI:
    """The ASGI application for ``settings``; loads, checks and compiles the rule base now.

    ``loaded``: serve this already loaded rule base instead. ``checked_hash``: the content hash
    the caller already compiled in a subprocess (skips that step when it matches).
    ``handle_sighup``: reload on SIGHUP (``pathways serve`` sets it in each worker).
    Raises ``RuleBaseRefused`` if the rule base cannot be served.
    """
    settings = settings or Settings()
    if loaded is None:
        loaded = load_checked(settings, checked_hash=checked_hash)
    state = State(settings, loaded)
    tasks: set[asyncio.Task[Any]] = set()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        loop = asyncio.get_running_loop()
        installed = False
        if handle_sighup and threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGHUP"):

            def on_hup() -> None:
                task = loop.create_task(state.reload_logged("SIGHUP"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            loop.add_signal_handler(signal.SIGHUP, on_hup)
            installed = True
        gc.collect()
        gc.freeze()  # start-up objects (the rule base, the app) leave the collector's scans
        log.info(
            "start-up: serving rule base %s %s (%s); auth %s",
            loaded.ref.id,
            loaded.ref.version,
            loaded.ref.hash[:12],
            "on" if state.tokens else "off",
        )
        try:
            yield
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGHUP)

    app = FastAPI(
        title="pathways",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    if settings.docs:
        add_docs(app, "/openapi.json")
    app.state.pathways = state

    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(AnswersError, _answers_error)  # type: ignore[arg-type]

    def current(request: Request) -> Loaded:
        return _loaded_of(request) or state.current

    limits = AnswerLimits(max_answers=settings.max_answers, max_text=settings.max_text)
    responses = state.responses
    turns = Turns()  # the engine's and the checklists' work: one request at a time, in arrival order

    async def answered(
        endpoint: str,
        request: Request,
        body: CheckRequest | DocumentRequest | NextRequest | ExplainRequest,
        compute: Callable[[RuleBase, dt.date], M],
        render: Callable[[M], Awaitable[bytes]] | None = None,
    ) -> bytes:
        """The response to a request about answers: its JSON checked, its date resolved (without
        ``as_of``: today, and ``compute`` is given that same day), then the remembered response
        (``cache.py``) or a new one, kept: ``compute(rule_base, day)`` in this request's turn
        (``turns.py``), then its JSON, or ``render(result)`` (a document: drawn off the loop)."""
        loaded = current(request)
        _check_json(body.answers, limits)  # before the key: it is made of the request
        day = body.as_of or dt.date.today()
        key = responses.key(endpoint, loaded.ref.hash, day, body) if responses.enabled else None
        data = responses.get(key) if key is not None else None
        if data is None:
            result = await turns.take(lambda: compute(loaded.rb, day))
            data = _json(result) if render is None else await render(result)
            if key is not None:
                responses.put(key, data)
        return data

    # explicit operation ids: generated clients name their functions after them
    @app.post("/v1/checklist", response_model=Outcome, tags=["checklists"], operation_id="checklist", responses=_ERRORS)
    async def checklist(body: CheckRequest, request: Request) -> Response:
        """The checklist for the answers (the Outcome document): routes, items with their trace, timeline.
        JSON only: the checklist as Markdown, HTML, PDF or XLSX comes from POST /v1/document."""
        data = await answered(
            "checklist", request, body, lambda rb, day: evaluate(rb, body.answers, day, body.lang, limits=limits)
        )
        return Response(data, media_type="application/json")

    @app.post(
        "/v1/document",
        tags=["checklists"],
        operation_id="document",
        response_class=Response,
        responses={
            200: {
                "description": "The checklist as a document for one case, with its content type.",
                "content": {
                    MEDIA_TYPES["pdf"]: {"schema": {"type": "string", "format": "binary"}},
                    MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                    "text/html": {"schema": {"type": "string"}},
                    "text/markdown": {"schema": {"type": "string"}},
                },
            },
            **_ERRORS,
        },
    )
    async def document(body: DocumentRequest, request: Request) -> Response:
        """The checklist as a document to send: a title block naming the product, the answers given, the
        disclaimer, the numbered checklist with its legal basis and why, the timeline and open questions."""
        case = CaseDetails(
            product=body.product.strip(),
            company=body.company.strip(),
            case_date=body.case_date,
            progress={k: ItemProgress(done=v.done, note=v.note.strip()) for k, v in body.progress.items()},
        )

        async def render(outcome: Outcome) -> bytes:
            # a PDF takes a noticeable fraction of a second: draw it off the event loop, out of the turn
            return await asyncio.to_thread(export, outcome, body.format, case=case)

        data = await answered(
            "document",
            request,
            body,
            lambda rb, day: evaluate(rb, body.answers, day, body.lang, limits=limits),
            render,
        )
        return Response(
            data,
            media_type=MEDIA_TYPES[body.format],
            headers={"Content-Disposition": f'attachment; filename="checklist{SUFFIXES[body.format]}"'},
        )

    @app.post(
        "/v1/next", response_model=NextQuestion, tags=["checklists"], operation_id="nextQuestion", responses=_ERRORS
    )
    async def next_(body: NextRequest, request: Request) -> Response:
        """The next question to ask (null when done), progress and the routes so far."""
        data = await answered(
            "next", request, body, lambda rb, day: next_question(rb, body.answers, body.lang, day, limits=limits)
        )
        return Response(data, media_type="application/json")

    @app.post("/v1/explain", response_model=Explanation, tags=["checklists"], operation_id="explain", responses=_ERRORS)
    async def explain_(body: ExplainRequest, request: Request) -> Response:
        """Why an item is, or is not, on the checklist for the answers."""
        data = await answered(
            "explain",
            request,
            body,
            lambda rb, day: explain(rb, body.answers, body.item, day, body.lang, limits=limits),
        )
        return Response(data, media_type="application/json")

    @app.get(
        "/v1/rulebase", response_model=RuleBaseInfo, tags=["rule base"], operation_id="ruleBase", responses=_GET_ERRORS
    )
    async def rulebase(request: Request) -> Response:
        """The rule base served: id, version, content hash, routes and counts."""
        return Response(current(request).info_json, media_type="application/json")

    @app.get(
        "/v1/questions",
        response_model=QuestionsOut,
        tags=["rule base"],
        operation_id="questions",
        responses=_GET_ERRORS,
    )
    async def questions(request: Request, lang: Literal["zh", "en"] = Query("en")) -> Response:
        """Every question of the rule base, with options, in the language asked for."""
        return Response(current(request).questions_json(lang), media_type="application/json")

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadResult,
        tags=["admin"],
        operation_id="reload",
        responses={
            401: _ERRORS[401],
            403: {"model": ErrorBody, "description": "No admin tokens are configured."},
            422: {
                "model": ErrorBody,
                "description": "The new rule base was refused (rulebase_invalid); the old one keeps serving.",
            },
        },
    )
    async def reload(request: Request) -> Response:
        """Re-read the rules directory; compile it in a subprocess, then swap atomically.

        With several workers, the others are told to reload too (through the supervisor).
        """
        try:
            result = await state.reload("admin")
        except RuleBaseRefused as exc:
            log.error("admin reload refused: %s", exc.message)
            return _error(request, 422, "rulebase_invalid", exc.message, exc.issues)
        pid = supervisor_pid()
        if pid is not None:
            os.kill(pid, signal.SIGHUP)  # the supervisor forwards it to every worker
        if not result.changed:
            log.info("reload (admin): rule base unchanged (%s)", result.current.hash[:12])
        return Response(_json(result), media_type="application/json")

    @app.get("/healthz", response_model=Health, tags=["health"], operation_id="healthz")
    async def healthz() -> Response:
        """The process is alive (for liveness probes)."""
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get(
        "/readyz",
        response_model=Ready,
        tags=["health"],
        operation_id="readyz",
        responses={503: {"model": ErrorBody, "description": "Not ready."}},
    )
    async def readyz(request: Request) -> Response:
        """A compiled rule base is loaded: send traffic (for readiness probes and load balancers)."""
        return Response(_json(Ready(rulebase=current(request).ref)), media_type="application/json")

    app.openapi = lambda: _openapi(app, state, settings)  # type: ignore[method-assign]

    app.add_middleware(_FrontDoor, state=state, settings=settings)
    if settings.cors_origins:
        # outside the front door: preflight requests carry no token, and errors need CORS headers too
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "X-Rulebase-Id", "X-Rulebase-Version", "X-Rulebase-Hash"],
        )

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "?")
        _log_bug(request_id, f"{request.method} {request.url.path} (inference engine)", exc)
        return _error(
            request,
            500,
            "internal_error",
            f"internal error in the inference engine (a bug: please report request id {request_id})",
        )

    return app


def worker_app() -> FastAPI:
    """The uvicorn factory of ``pathways serve``: settings from the supervisor's environment."""
    data = json.loads(os.environ.get("PATHWAYS__SETTINGS") or "{}")
    explicit = os.environ.get("PATHWAYS__EXPLICIT_TOKENS")
    if explicit:
        data["tokens"] = [t for t in explicit.split("\n") if t]
    settings = Settings.model_validate(data)
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the lifespan installs the real handler
    return create_app(settings, checked_hash=os.environ.get("PATHWAYS__CHECKED_HASH"), handle_sighup=True)
