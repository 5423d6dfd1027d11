"""One error format for the whole API: RFC 9457 problem details.

Every error body has `type`, `title`, `status`, `code` (stable, machine-readable), `detail` (for a
person) and, for validation failures, `errors`: a list of `{field, code, message}`. Field names use
dots for nesting (`limits.daily`) and indexes for lists (`windows.0.start`).
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://securitycenter.example/problems/"


class ApiError(exceptions.APIException):
    """An error a service raises on purpose, with its own stable code.

    `extra` lands in the body beside the standard members (e.g. `current` on a version conflict,
    `retry_after` on a lock-out).
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request cannot be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.default_detail, code or self.default_code)
        if status_code is not None:
            self.status_code = status_code
        self.code = code or self.default_code
        self.field = field
        self.extra = extra or {}


class Conflict(ApiError):
    status_code: int = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource changed since you read it."


class Locked(ApiError):
    status_code: int = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "Too many failed attempts; try again later."


def field_error(field: str, message: str, code: str = "invalid") -> exceptions.ValidationError:
    """A validation error on one field, in the shape the handler flattens."""
    return exceptions.ValidationError({field: [exceptions.ErrorDetail(message, code=code)]})


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
        return out
    if isinstance(detail, list):
        if all(isinstance(d, (str, exceptions.ErrorDetail)) for d in detail):
            return [
                {"field": prefix, "code": getattr(d, "code", "invalid") or "invalid", "message": str(d)} for d in detail
            ]
        out = []
        for i, value in enumerate(detail):
            if value:
                out.extend(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid") or "invalid", "message": str(detail)}]


def problem(
    *, status_code: int, code: str, title: str, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status_code,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


_TITLES = {
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
    503: "Service unavailable",
}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None

    status_code = response.status_code
    title = _TITLES.get(status_code, "Error")
    extra: dict[str, Any] = {}
    errors: list[dict[str, str]] | None = None
    if isinstance(exc, ApiError):
        code = exc.code
        detail = str(exc.detail)
        extra = dict(exc.extra)
        if exc.field:
            errors = [{"field": exc.field, "code": code, "message": detail}]
    elif isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        errors = _flatten(exc.detail)
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors) or "Invalid input."
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = str(exc.detail) if isinstance(exc.detail, str) else str(exc.default_detail)
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            extra["retry_after"] = int(wait)

    body = problem(status_code=status_code, code=str(code), title=title, detail=detail, errors=errors, **extra)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
