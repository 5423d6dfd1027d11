"""RFC 9457 problem documents, without DRF: the one place where a domain error becomes an HTTP answer.

Every error body has `type`, `title`, `status`, `code` (stable, machine-readable), `detail` (for a
person) and, for invalid input, `errors`: a list of `{field, code, message}`. Field names use dots for
nesting (`limits.daily`) and indexes for lists (`windows.0.start`).

The lean views of the payment core render with `problem_response`; the DRF exception handler
(`securitycenter.exception_handler`) builds its bodies with `problem` and `domain_problem` too.
"""

from typing import Any, Final

import orjson
from django.http import HttpResponse

from securitycenter.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    TooManyAttempts,
    Unavailable,
    Unprocessable,
    ValidationFailed,
)

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://securitycenter.example/problems/"

TITLES: Final[dict[int, str]] = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    423: "Locked",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

# Most specific first: ValidationFailed is an InvalidInput.
_STATUS_OF_KIND: Final[tuple[tuple[type[DomainError], int], ...]] = (
    (InvalidInput, 400),
    (NotAuthenticated, 401),
    (NotPermitted, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Unprocessable, 422),
    (TooManyAttempts, 429),
    (Unavailable, 503),
)


def problem_status(exc: DomainError) -> int:
    """The HTTP status of a domain error's kind."""
    for kind, status in _STATUS_OF_KIND:
        if isinstance(exc, kind):
            return status
    return 400


def problem(
    *, status_code: int, code: str, detail: str, title: str | None = None, errors: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or TITLES.get(status_code, "Error"),
        "status": status_code,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    # The standard members are the document's own: an extra member never overwrites them.
    body.update((key, value) for key, value in extra.items() if key not in body)
    return body


def domain_problem(exc: DomainError) -> dict[str, Any]:
    """The problem document of a domain error."""
    if isinstance(exc, ValidationFailed):
        errors: list[dict[str, str]] | None = exc.errors
    elif exc.field is not None:
        errors = [{"field": exc.field, "code": exc.code, "message": exc.detail}]
    else:
        errors = None
    return problem(status_code=problem_status(exc), code=exc.code, detail=exc.detail, errors=errors, **exc.extra)


def problem_headers(exc: DomainError) -> dict[str, str]:
    """The headers that go with a domain error's answer: when to retry, which credential to bring."""
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyAttempts) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = exc.challenge
    return headers


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> HttpResponse:
    """A problem document as a plain Django response (the lean views' edge)."""
    response = HttpResponse(orjson.dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_problem_response(exc: DomainError) -> HttpResponse:
    return problem_response(domain_problem(exc), problem_headers(exc))
