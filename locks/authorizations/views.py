"""The payment core's endpoints: lean Django views, msgspec in and out, no DRF on the way.

DRF costs about 180 µs a request here (see docs/performance.md), more than the decision itself, so these
views authenticate the API key from a short in-process cache and render problem documents themselves
(through `securitycenter.problems`, like every other error of the service).
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

import msgspec
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.service_clients import api_key_resolve
from locks.authorizations.answers import AuthorizationDecision, ReversalAnswer
from locks.authorizations.batch import authorize_batch
from locks.authorizations.fastpath import authorize
from locks.authorizations.record import recorded_answer
from locks.authorizations.request import AuthorizationRequest, BatchRequest, request_decode
from locks.authorizations.reversal import authorization_reverse
from securitycenter.crypto import token_hash
from securitycenter.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, NotPermitted
from securitycenter.metrics import BATCH_SECONDS, SINGLE_SECONDS
from securitycenter.problems import domain_problem, domain_problem_response, problem, problem_response

WRITE_SCOPE: Final = "authorizations:write"
READ_SCOPE: Final = "authorizations:read"
_API_KEY_CHALLENGE: Final = 'ApiKey realm="securitycenter"'

# key hash → (client id, scopes, valid until monotonic); a revoked key keeps working at most this long.
_key_cache: dict[str, tuple[int, frozenset[str], float]] = {}
_encoder = msgspec.json.Encoder()
_batch_decoder = msgspec.json.Decoder(BatchRequest)


def key_cache_clear() -> None:
    _key_cache.clear()


class _ApiKeyRequired(NotAuthenticated):
    challenge = _API_KEY_CHALLENGE


def _client_id(request: HttpRequest, scope: str) -> int:
    """The calling service client's id; a domain error if the request may not call with `scope`."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    raw = header[7:] if header[:7].lower() == "apikey " else request.META.get("HTTP_X_API_KEY", "")
    if not raw:
        if header[:7].lower() == "bearer ":
            raise NotPermitted("This endpoint is for service clients.")
        raise _ApiKeyRequired("Send an API key: Authorization: ApiKey <key>.")
    digest = token_hash(raw)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is None or cached[2] < now:
        key = api_key_resolve(raw)
        if key is None:
            _key_cache.pop(digest, None)
            raise _ApiKeyRequired("Invalid API key.", code="invalid_api_key")
        cached = (key.client_id, frozenset(key.client.scopes), now + settings.API_KEY_CACHE_SECONDS)
        _key_cache[digest] = cached
    if scope not in cached[1]:
        raise NotPermitted(f"This API key lacks the scope {scope}.")
    return cached[0]


def service_endpoint(method: str, scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A payment-core view: one HTTP method, an API key with `scope`; the view gets the client's id.

    A domain error the view (or the service it calls) raises becomes its problem document here.
    """

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                body = problem(status_code=405, code="method_not_allowed", detail=f"Use {method}.")
                return problem_response(body, {"Allow": method})
            try:
                return view(request, _client_id(request, scope), *args, **kwargs)
            except DomainError as exc:
                return domain_problem_response(exc)

        return guarded

    return wrap


def _json(body: msgspec.Struct | dict[str, Any]) -> HttpResponse:
    return HttpResponse(_encoder.encode(body), content_type="application/json")


@service_endpoint("POST", WRITE_SCOPE)
def authorization_create(request: HttpRequest, client_id: int) -> HttpResponse:
    with SINGLE_SECONDS.time():
        return _json(authorize(request=request_decode(request.body), client_id=client_id))


def _item(raw: msgspec.Raw) -> AuthorizationRequest | DomainError:
    try:
        return request_decode(bytes(raw))
    except DomainError as exc:
        return exc


def _batch_item(result: AuthorizationDecision | DomainError) -> dict[str, Any]:
    if isinstance(result, AuthorizationDecision):
        return {"ok": True, **result.as_json()}
    return {"ok": False, "error": domain_problem(result)}


@service_endpoint("POST", WRITE_SCOPE)
def authorization_batch(request: HttpRequest, client_id: int) -> HttpResponse:
    try:
        batch = _batch_decoder.decode(request.body)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        raise InvalidInput('The body must be {"transactions": [...]}.', field="transactions") from None
    if not batch.transactions or len(batch.transactions) > settings.AUTHORIZATION_BATCH_MAX:
        raise InvalidInput(f"Send 1 to {settings.AUTHORIZATION_BATCH_MAX} transactions.", field="transactions")
    with BATCH_SECONDS.time():
        results = authorize_batch(items=[_item(raw) for raw in batch.transactions], client_id=client_id)
        return _json({"results": [_batch_item(result) for result in results]})


@service_endpoint("GET", READ_SCOPE)
def authorization_detail(request: HttpRequest, client_id: int, transaction_id: str) -> HttpResponse:
    answer = recorded_answer(transaction_id=transaction_id, client_id=client_id)
    if answer is None:
        raise NotFound("No decision was recorded for this transaction.")
    return _json(answer)


@service_endpoint("POST", WRITE_SCOPE)
def authorization_reversal(request: HttpRequest, client_id: int, transaction_id: str) -> HttpResponse:
    reversal = authorization_reverse(transaction_id=transaction_id, client_id=client_id)
    return _json(
        ReversalAnswer(
            transaction_id=reversal.transaction_id,
            # A declined payment was never counted, so there is nothing it could be reversed from.
            reversed=reversal.amount_returned > 0 or reversal.already_reversed,
            amount_returned=reversal.amount_returned,
            already_reversed=reversal.already_reversed,
        )
    )
