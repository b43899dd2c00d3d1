"""A client of the pathways HTTP API (httpx): the same answers in, the same models out.

    >>> from pathways.client import PathwaysClient
    >>> with PathwaysClient("http://127.0.0.1:8000", token="...") as client:
    ...     outcome = client.checklist({"product_kind": "device"}, lang="en")   # a pathways.Outcome
    ...     step = client.next_question({"product_kind": "device"})             # a pathways.NextQuestion

``AsyncPathwaysClient`` has the same methods, as coroutines. Both return the core's pydantic
models (``Outcome``, ``NextQuestion``, ``Explanation``) so a script can switch between local
evaluation and a server without changing anything else. The rule base that served each call is in
the models (``outcome.rulebase``) and in ``client.last_rulebase``.

Retries: the evaluation endpoints are pure functions of their input (the server keeps no state),
so every call except ``reload()`` is retried on connection errors, timeouts and 503 (with
exponential back-off; ``retries=2`` by default). ``reload()`` is retried only when the connection
could not be made at all (the request never reached the server).

Exceptions (every one is a ``pathways.PathwaysError``)::

    PathwaysError
    └── ClientError                  any failure of a call to the server
        ├── ConnectionFailed         could not connect, or the connection broke (after retries)
        │   └── RequestTimedOut      no answer within the timeout (after retries)
        ├── ProtocolError            the answer was not what the API documents (not JSON, wrong shape)
        └── APIError                 the server answered with a typed error; .status .code .message
            │                        .field .suggestion .issues .request_id .rulebase
            ├── BadRequest           400 bad_json, bad_request
            ├── Unauthorized         401 unauthorized (no or wrong token)
            ├── Forbidden            403 forbidden (e.g. admin endpoints disabled)
            ├── NotFound             404 not_found (wrong URL or API version)
            ├── Conflict             409 (reserved)
            ├── PayloadTooLarge      413 body_too_large
            ├── InvalidRequest       422 invalid_request (a request field: lang, format, as_of, ...)
            │   ├── InvalidAnswers   422 invalid_answers; also a pathways.AnswersError whose .issues
            │   │                    are AnswerIssue (code PA2xx, field such as answers.device_class)
            │   ├── UnknownItem      422 unknown_item (explain: no such item); also an AnswersError
            │   └── RuleBaseRefused  422 rulebase_invalid (reload refused; the old one keeps serving)
            ├── ServiceUnavailable   503 not_ready
            └── ServerError          500 internal_error and any other 5xx
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from . import __version__
from ._api import Explanation
from ._errors import AnswerIssue, AnswersError, PathwaysError
from ._outcome import NextQuestion, Outcome, QuestionOut, RuleBaseRef
from ._wire import (
    ErrorBody,
    ErrorIssue,
    QuestionsOut,
    ReloadResult,
    RouteInfo,
    RuleBaseCounts,
    RuleBaseInfo,
    parse_rulebase_headers,
)

__all__ = [
    "APIError",
    "AsyncPathwaysClient",
    "BadRequest",
    "ClientError",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "InvalidAnswers",
    "InvalidRequest",
    "NotFound",
    "PathwaysClient",
    "PayloadTooLarge",
    "ProtocolError",
    "RequestTimedOut",
    "RuleBaseRefused",
    "ServerError",
    "ServiceUnavailable",
    "Unauthorized",
    "UnknownItem",
    "check_base_url",
    # the server's own answers (the rest are the core's models, exported from pathways)
    "ErrorIssue",
    "ReloadResult",
    "RouteInfo",
    "RuleBaseCounts",
    "RuleBaseInfo",
]

M = TypeVar("M", bound=BaseModel)
Format = Literal["md", "html", "json"]
DocumentFormat = Literal["pdf", "xlsx", "html", "md"]


# ---- exceptions ------------------------------------------------------------------------------


class ClientError(PathwaysError):
    """A call to a pathways server failed."""


class ConnectionFailed(ClientError):
    """The server could not be reached, or the connection broke (after the retries)."""


class RequestTimedOut(ConnectionFailed):
    """The server did not answer within the timeout (after the retries)."""


class ProtocolError(ClientError):
    """The server's answer was not what the API documents (is the URL a pathways server?)."""


class APIError(ClientError):
    """The server answered with a typed error (see ``pathways._wire.ErrorBody``)."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        Exception.__init__(
            self, f"{status} {body.code}: {body.message}" + (f" [request {body.request_id}]" if body.request_id else "")
        )
        self.status = status
        self.code = body.code
        self.message = body.message
        self.field = body.field
        self.suggestion = body.suggestion
        self.request_id = body.request_id
        self.rulebase: RuleBaseRef | None = body.rulebase
        self.api_issues: list[ErrorIssue] = list(body.issues)
        if not isinstance(self, AnswersError):
            self.issues: list[Any] = list(body.issues)


class BadRequest(APIError):
    """400: the body was not a JSON object."""


class Unauthorized(APIError):
    """401: no bearer token, or not one the server knows."""


class Forbidden(APIError):
    """403: not allowed (e.g. the admin endpoints are disabled on this server)."""


class NotFound(APIError):
    """404: no such endpoint (wrong base URL or API version)."""


class Conflict(APIError):
    """409: a reload is already running."""


class PayloadTooLarge(APIError):
    """413: the request body is larger than the server accepts."""


class InvalidRequest(APIError):
    """422: a field of the request is invalid; ``field`` names it."""


class InvalidAnswers(InvalidRequest, AnswersError):
    """422: invalid answers. ``issues`` are ``pathways.AnswerIssue`` (as ``evaluate`` raises)."""

    def __init__(self, status: int, body: ErrorBody) -> None:
        APIError.__init__(self, status, body)
        self.issues = [AnswerIssue(i.code, i.message, i.field or "answers", i.suggestion) for i in body.issues]


class UnknownItem(InvalidAnswers):
    """422: explain() was asked about an item the rule base does not have."""


class RuleBaseRefused(InvalidRequest):
    """422: the server refused to load its new rule base; the old one keeps serving."""


class ServiceUnavailable(APIError):
    """503: the server is not ready (no rule base loaded yet, or shutting down)."""


class ServerError(APIError):
    """500 or another 5xx: a bug on the server; quote ``request_id`` when reporting it."""


_BY_CODE: dict[str, type[APIError]] = {
    "bad_json": BadRequest,
    "bad_request": BadRequest,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "method_not_allowed": NotFound,
    "reload_in_progress": Conflict,
    "body_too_large": PayloadTooLarge,
    "invalid_request": InvalidRequest,
    "invalid_answers": InvalidAnswers,
    "unknown_item": UnknownItem,
    "rulebase_invalid": RuleBaseRefused,
    "not_ready": ServiceUnavailable,
    "internal_error": ServerError,
}
_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidRequest,
    503: ServiceUnavailable,
}


def error_from_response(response: httpx.Response) -> APIError:
    """The typed exception for an error response (``code`` first, then the status)."""
    try:
        body = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        text = response.text[:200] if response.content else response.reason_phrase
        body = ErrorBody(
            code="http_" + str(response.status_code),
            message=text or "error",
            rulebase=parse_rulebase_headers(response.headers),
        )
    cls = _BY_CODE.get(body.code) or _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else APIError
    return cls(response.status_code, body)


# ---- the shared part -------------------------------------------------------------------------


def _body(answers: Mapping[str, Any], as_of: dt.date | str | None, lang: str, **extra: Any) -> dict[str, Any]:
    if not isinstance(answers, Mapping):
        raise AnswersError([AnswerIssue("PA201", "answers must be a mapping of question id to value", "answers")])
    body: dict[str, Any] = {"answers": {k: _jsonable(v) for k, v in answers.items()}, "lang": lang}
    if as_of is not None:
        body["as_of"] = as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _document_body(
    answers: Mapping[str, Any],
    format: str,
    as_of: dt.date | str | None,
    lang: str,
    product: str,
    company: str,
    case_date: dt.date | str | None,
    ticked: Iterable[str],
    notes: Mapping[str, str] | None,
) -> dict[str, Any]:
    notes = dict(notes or {})
    progress = {item: {"done": True, "note": notes.pop(item, "")} for item in ticked}
    progress.update({item: {"done": False, "note": note} for item, note in notes.items()})
    when = case_date.isoformat() if isinstance(case_date, dt.date) else case_date
    return _body(
        answers,
        as_of,
        lang,
        format=format,
        product=product or None,
        company=company or None,
        case_date=when,
        progress=progress or None,
    )


def _text_request(
    answers: Mapping[str, Any], format: str, as_of: dt.date | str | None, lang: str
) -> tuple[str, dict[str, Any]]:
    # /v1/checklist answers JSON only (issue 16); the rendered checklist is a document
    if format == "json":
        return "/v1/checklist", _body(answers, as_of, lang)
    return "/v1/document", _body(answers, as_of, lang, format=format)


def _jsonable(value: Any) -> Any:
    from ._answers import UNKNOWN

    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def check_base_url(base_url: str) -> str:
    """The server URL without a trailing slash; ``ClientError`` if it is not http(s)."""
    if not base_url.startswith(("http://", "https://")):
        raise ClientError(f"the server URL must start with http:// or https://, got {base_url!r}")
    return base_url.rstrip("/")


class _Base:
    IDEMPOTENT_RETRY = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

    def __init__(
        self, base_url: str, token: str | None, timeout: float | httpx.Timeout, retries: int, backoff: float
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.timeout = (
            timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout, connect=min(timeout, 5.0))
        )
        self.headers = {"User-Agent": f"pathways-client/{__version__}", "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        #: the rule base that served the last successful call
        self.last_rulebase: RuleBaseRef | None = None

    def _retryable(self, exc: Exception, idempotent: bool) -> bool:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return True  # never reached the server: always safe
        return idempotent and isinstance(exc, self.IDEMPOTENT_RETRY)

    def _delay(self, attempt: int) -> float:
        return self.backoff * (2.0**attempt) * (0.5 + random.random())

    def _failed(self, exc: Exception, method: str, path: str) -> ClientError:
        where = f"{method} {self.base_url}{path}"
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimedOut(f"{where}: no answer within the timeout ({type(exc).__name__})")
        if isinstance(exc, httpx.TransportError):
            return ConnectionFailed(f"{where}: {type(exc).__name__}: {exc}".rstrip(": "))
        return ClientError(f"{where}: {exc}")

    def _handle(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise error_from_response(response)
        ref = parse_rulebase_headers(response.headers)
        if ref is not None:
            self.last_rulebase = ref
        return response

    @staticmethod
    def _model(response: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise ProtocolError(
                f"{response.request.method} {response.request.url}: the answer is not a "
                f"{model.__name__} ({exc.error_count()} problem(s); is this a pathways "
                "server of the same API version?)"
            ) from None


# ---- the synchronous client ------------------------------------------------------------------


class PathwaysClient(_Base):
    """A synchronous client. Use as a context manager, or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, token, timeout, retries, backoff)
        self._own = http_client is None
        self._http = http_client or httpx.Client(
            base_url=self.base_url, timeout=self.timeout, headers=self.headers, transport=transport
        )

    def __enter__(self) -> PathwaysClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._http.close()

    def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None, idempotent: bool = True
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, json=json, params=params, headers=self.headers)
            except httpx.HTTPError as exc:
                if attempt < self.retries and self._retryable(exc, idempotent):
                    time.sleep(self._delay(attempt))
                    attempt += 1
                    continue
                raise self._failed(exc, method, path) from None
            if response.status_code == 503 and idempotent and attempt < self.retries:
                time.sleep(self._delay(attempt))
                attempt += 1
                continue
            return self._handle(response)

    def checklist(self, answers: Mapping[str, Any], *, as_of: dt.date | str | None = None, lang: str = "en") -> Outcome:
        """The checklist for ``answers`` (``POST /v1/checklist``), as a ``pathways.Outcome``."""
        response = self._call("POST", "/v1/checklist", json=_body(answers, as_of, lang))
        return self._model(response, Outcome)

    def checklist_text(
        self, answers: Mapping[str, Any], format: Format = "md", *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> str:
        """The checklist rendered by the server: Markdown or HTML (``POST /v1/document``, no case
        details), or the JSON outcome as text (``POST /v1/checklist``)."""
        path, body = _text_request(answers, format, as_of, lang)
        return self._call("POST", path, json=body).content.decode("utf-8")

    def document(
        self,
        answers: Mapping[str, Any],
        format: DocumentFormat = "pdf",
        *,
        as_of: dt.date | str | None = None,
        lang: str = "en",
        product: str = "",
        company: str = "",
        case_date: dt.date | str | None = None,
        ticked: Iterable[str] = (),
        notes: Mapping[str, str] | None = None,
    ) -> bytes:
        """The checklist as a document to send (``POST /v1/document``): PDF, XLSX, HTML or Markdown bytes."""
        body = _document_body(answers, format, as_of, lang, product, company, case_date, ticked, notes)
        return self._call("POST", "/v1/document", json=body).content

    def next_question(
        self, answers: Mapping[str, Any], *, lang: str = "en", as_of: dt.date | str | None = None
    ) -> NextQuestion:
        """The next question and progress (``POST /v1/next``), as a ``pathways.NextQuestion``."""
        response = self._call("POST", "/v1/next", json=_body(answers, as_of, lang))
        return self._model(response, NextQuestion)

    def explain(
        self, answers: Mapping[str, Any], item: str, *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> Explanation:
        """Why ``item`` is or is not on the checklist (``POST /v1/explain``)."""
        response = self._call("POST", "/v1/explain", json=_body(answers, as_of, lang, item=item))
        return self._model(response, Explanation)

    def rulebase(self) -> RuleBaseInfo:
        """The rule base the server evaluates with: id, version, hash, routes, counts."""
        return self._model(self._call("GET", "/v1/rulebase"), RuleBaseInfo)

    def questions(self, *, lang: str = "en") -> list[QuestionOut]:
        """Every question of the server's rule base."""
        return self._model(self._call("GET", "/v1/questions", params={"lang": lang}), QuestionsOut).questions

    def ready(self) -> bool:
        """True if the server answers /readyz with 200 (no retries, no exception)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def reload(self) -> ReloadResult:
        """Ask the server to reload its rule base (an admin token is needed)."""
        return self._model(self._call("POST", "/v1/admin/reload", idempotent=False), ReloadResult)


# ---- the asynchronous client -----------------------------------------------------------------


class AsyncPathwaysClient(_Base):
    """An asyncio client with the same methods as ``PathwaysClient``, as coroutines."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, token, timeout, retries, backoff)
        self._own = http_client is None
        self._http = http_client or httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, headers=self.headers, transport=transport
        )

    async def __aenter__(self) -> AsyncPathwaysClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None, idempotent: bool = True
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, json=json, params=params, headers=self.headers)
            except httpx.HTTPError as exc:
                if attempt < self.retries and self._retryable(exc, idempotent):
                    await asyncio.sleep(self._delay(attempt))
                    attempt += 1
                    continue
                raise self._failed(exc, method, path) from None
            if response.status_code == 503 and idempotent and attempt < self.retries:
                await asyncio.sleep(self._delay(attempt))
                attempt += 1
                continue
            return self._handle(response)

    async def checklist(
        self, answers: Mapping[str, Any], *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> Outcome:
        response = await self._call("POST", "/v1/checklist", json=_body(answers, as_of, lang))
        return self._model(response, Outcome)

    async def checklist_text(
        self, answers: Mapping[str, Any], format: Format = "md", *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> str:
        path, body = _text_request(answers, format, as_of, lang)
        return (await self._call("POST", path, json=body)).content.decode("utf-8")

    async def document(
        self,
        answers: Mapping[str, Any],
        format: DocumentFormat = "pdf",
        *,
        as_of: dt.date | str | None = None,
        lang: str = "en",
        product: str = "",
        company: str = "",
        case_date: dt.date | str | None = None,
        ticked: Iterable[str] = (),
        notes: Mapping[str, str] | None = None,
    ) -> bytes:
        body = _document_body(answers, format, as_of, lang, product, company, case_date, ticked, notes)
        return (await self._call("POST", "/v1/document", json=body)).content

    async def next_question(
        self, answers: Mapping[str, Any], *, lang: str = "en", as_of: dt.date | str | None = None
    ) -> NextQuestion:
        response = await self._call("POST", "/v1/next", json=_body(answers, as_of, lang))
        return self._model(response, NextQuestion)

    async def explain(
        self, answers: Mapping[str, Any], item: str, *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> Explanation:
        response = await self._call("POST", "/v1/explain", json=_body(answers, as_of, lang, item=item))
        return self._model(response, Explanation)

    async def rulebase(self) -> RuleBaseInfo:
        return self._model(await self._call("GET", "/v1/rulebase"), RuleBaseInfo)

    async def questions(self, *, lang: str = "en") -> list[QuestionOut]:
        response = await self._call("GET", "/v1/questions", params={"lang": lang})
        return self._model(response, QuestionsOut).questions

    async def ready(self) -> bool:
        try:
            return (await self._http.get("/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def reload(self) -> ReloadResult:
        return self._model(await self._call("POST", "/v1/admin/reload", idempotent=False), ReloadResult)
