"""The payment core's endpoints: lean Django views, msgspec in, orjson out, no DRF on the way.

DRF costs about 180 µs a request here (see docs/performance.md), more than the decision itself, so these
views authenticate the API key from a short in-process cache and render problem documents themselves.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

import msgspec
import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import api_key_resolve
from locks.authorizations import (
    Answer,
    AuthorizationRequest,
    IdempotencyConflict,
    RequestInvalid,
    authorization_reverse,
    authorize,
    authorize_batch,
    recorded_answer,
    request_decode,
)
from securitycenter.crypto import token_hash
from securitycenter.errors import PROBLEM_CONTENT_TYPE, problem

WRITE_SCOPE: Final = "authorizations:write"
READ_SCOPE: Final = "authorizations:read"

# key hash → (client id, scopes, valid until monotonic); a revoked key keeps working at most this long.
_key_cache: dict[str, tuple[int, frozenset[str], float]] = {}


def key_cache_clear() -> None:
    _key_cache.clear()


def _problem(status: int, code: str, detail: str, field: str | None = None, **extra: Any) -> HttpResponse:
    errors = [{"field": field, "code": code, "message": detail}] if field is not None else None
    titles = {
        400: "Bad request",
        401: "Not authenticated",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        413: "Payload too large",
        422: "Unprocessable content",
        503: "Service unavailable",
    }
    body = problem(
        status_code=status, code=code, title=titles.get(status, "Error"), detail=detail, errors=errors, **extra
    )
    response = HttpResponse(orjson.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'ApiKey realm="securitycenter"'
    return response


def _client(request: HttpRequest, scope: str) -> int | HttpResponse:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    raw = header[7:] if header[:7].lower() == "apikey " else request.META.get("HTTP_X_API_KEY", "")
    if not raw:
        if header[:7].lower() == "bearer ":
            return _problem(403, "permission_denied", "This endpoint is for service clients.")
        return _problem(401, "not_authenticated", "Send an API key: Authorization: ApiKey <key>.")
    digest = token_hash(raw)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is None or cached[2] < now:
        key = api_key_resolve(raw)
        if key is None:
            _key_cache.pop(digest, None)
            return _problem(401, "invalid_api_key", "Invalid API key.")
        cached = (key.client_id, frozenset(key.client.scopes), now + settings.API_KEY_CACHE_SECONDS)
        _key_cache[digest] = cached
    if scope not in cached[1]:
        return _problem(403, "permission_denied", f"This API key lacks the scope {scope}.")
    return cached[0]


def service_endpoint(method: str, scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A payment-core view: one HTTP method, an API key with `scope`; the view gets the client's id."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (refused := _method_guard(request, method)) is not None:
                return refused
            client_id = _client(request, scope)
            if isinstance(client_id, HttpResponse):
                return client_id
            return view(request, client_id, *args, **kwargs)

        return guarded

    return wrap


def _json(body: Any, status: int = 200) -> HttpResponse:
    content_type = "application/json" if status < 400 else PROBLEM_CONTENT_TYPE
    return HttpResponse(orjson.dumps(body), status=status, content_type=content_type)


def _invalid(exc: RequestInvalid) -> dict[str, Any]:
    return problem(
        status_code=exc.status,
        code=exc.code,
        title="Invalid transaction",
        detail=exc.message,
        errors=[{"field": exc.field, "code": exc.code, "message": exc.message}],
    )


def _conflict(exc: IdempotencyConflict) -> dict[str, Any]:
    return problem(
        status_code=409,
        code="idempotency_conflict",
        title="Conflict",
        detail=f"Transaction {exc.transaction_id} was already decided with a different body.",
    )


def _method_guard(request: HttpRequest, method: str) -> HttpResponse | None:
    if request.method != method:
        response = _problem(405, "method_not_allowed", f"Use {method}.")
        response["Allow"] = method
        return response
    return None


@service_endpoint("POST", WRITE_SCOPE)
def authorization_create(request: HttpRequest, client_id: int) -> HttpResponse:
    try:
        answer = authorize(request=request_decode(request.body), client_id=client_id)
    except RequestInvalid as exc:
        return _json(_invalid(exc), exc.status)
    except IdempotencyConflict as exc:
        return _json(_conflict(exc), 409)
    return _json(answer.as_json())


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    transactions: list[msgspec.Raw]


_batch_decoder = msgspec.json.Decoder(_Batch)


def _item(raw: msgspec.Raw) -> AuthorizationRequest | RequestInvalid:
    try:
        return request_decode(bytes(raw))
    except RequestInvalid as exc:
        return exc


@service_endpoint("POST", WRITE_SCOPE)
def authorization_batch(request: HttpRequest, client_id: int) -> HttpResponse:
    try:
        batch = _batch_decoder.decode(request.body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _problem(400, "invalid", 'The body must be {"transactions": [...]}.', field="transactions")
    if not batch.transactions or len(batch.transactions) > settings.AUTHORIZATION_BATCH_MAX:
        return _problem(
            400, "invalid", f"Send 1 to {settings.AUTHORIZATION_BATCH_MAX} transactions.", field="transactions"
        )
    results = authorize_batch(items=[_item(raw) for raw in batch.transactions], client_id=client_id)
    rendered: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, Answer):
            rendered.append({"ok": True, **result.as_json()})
        elif isinstance(result, RequestInvalid):
            rendered.append({"ok": False, "error": _invalid(result)})
        elif isinstance(result, IdempotencyConflict):
            rendered.append({"ok": False, "error": _conflict(result)})
        else:  # pragma: no cover - authorize_batch only returns the above
            raise result
    return _json({"results": rendered})


@service_endpoint("GET", READ_SCOPE)
def authorization_detail(request: HttpRequest, client_id: int, transaction_id: str) -> HttpResponse:
    answer = recorded_answer(transaction_id=transaction_id, client_id=client_id)
    if answer is None:
        return _problem(404, "not_found", "No decision was recorded for this transaction.")
    return _json(answer.as_json())


@service_endpoint("POST", WRITE_SCOPE)
def authorization_reversal(request: HttpRequest, client_id: int, transaction_id: str) -> HttpResponse:
    try:
        reversal = authorization_reverse(transaction_id=transaction_id, client_id=client_id)
    except RequestInvalid as exc:
        return _json(_invalid(exc), exc.status)
    return _json(
        {
            "transaction_id": reversal.transaction_id,
            # A declined payment was never counted, so there is nothing it could be reversed from.
            "reversed": reversal.amount_returned > 0 or reversal.already_reversed,
            "amount_returned": reversal.amount_returned,
            "already_reversed": reversal.already_reversed,
        }
    )
