"""One error format for the whole API: RFC 9457 problem details.

Every error body has `type`, `title`, `status`, `code` (stable, machine-readable), `detail` (for a
person) and, for validation failures, `errors`: a list of `{field, code, message}`. Field names use
dots for nesting (`limits.daily`) and indexes for lists (`windows.0.start`).

An unexpected exception in an API view becomes a bare 500 problem (`internal_error`): the traceback goes
to the server log, never to the client. Views document their errors with `problem_responses(...)`.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

request_logger = logging.getLogger("django.request")

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
    500: "Internal server error",
    503: "Service unavailable",
}


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Keeps each message's code (Django's default is None: "invalid"); `__all__` is the request as a whole."""

    def details(errors: list[DjangoValidationError]) -> list[exceptions.ErrorDetail]:
        return [exceptions.ErrorDetail(m, code=e.code or "invalid") for e in errors for m in e.messages]

    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                "non_field_errors" if field == NON_FIELD_ERRORS else field: details(errors)
                for field, errors in exc.error_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": details(exc.error_list)})


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)

    if not isinstance(exc, exceptions.APIException):
        return _internal_error(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
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
    if "retry_after" in extra and "Retry-After" not in response:
        response["Retry-After"] = str(int(extra["retry_after"]))
    return response


def _internal_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    if settings.DEBUG:
        return None  # Django's technical 500 page, traceback included, is what a developer wants.
    drf_request = context.get("request")
    request = getattr(drf_request, "_request", drf_request)
    # What Django itself does with an uncaught exception: log it with the traceback, server side only, and
    # tell got_request_exception listeners (error trackers; the test client re-raises it from there).
    request_logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=exc,
        extra={"status_code": status.HTTP_500_INTERNAL_SERVER_ERROR, "request": request},
    )
    got_request_exception.send(sender=None, request=request)
    set_rollback()
    body = problem(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title=_TITLES[500],
        detail="Something went wrong on our side. Please try again later.",
    )
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR, content_type=PROBLEM_CONTENT_TYPE)


# --- The error format in the OpenAPI schema ------------------------------------------------------------


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="The offending field: dots for nesting (`limits.daily`), indexes for lists (`windows.0.start`); "
        "empty when the request as a whole is invalid."
    )
    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `required`, `min_value`.")
    message = serializers.CharField(help_text="What is wrong, for a person.")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document: the body of every error response."""

    type = serializers.URLField(help_text="URI identifying the kind of problem.")
    title = serializers.CharField(help_text="Short summary of the HTTP status.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text="Stable, machine-readable error code, e.g. `validation_error`.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    # The serializer metaclass moves declared fields out of the class body, so this does not shadow
    # Serializer.errors at run time; only the type checker sees a clash.
    errors = ProblemFieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="On validation errors: one entry per field and reason."
    )
    current = serializers.JSONField(
        required=False, help_text="On a 409 conflict: the resource as it is now, to merge with and resend."
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="On a 429: seconds to wait before trying again (also the Retry-After header)."
    )


_RESPONSE_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each offending field.",
    401: "Missing, invalid or expired credentials.",
    403: "The caller is not allowed to do this.",
    404: "No such resource, or not the caller's.",
    409: "Conflict with the current state: `current` holds the resource as it is now.",
    429: "Too many attempts: `retry_after` says how many seconds to wait.",
    500: "Unexpected error; no details are disclosed.",
    503: "A dependency is unavailable; try again later.",
}


def problem_responses(*status_codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Error responses for `@extend_schema`, as problem documents (the `Problem` component).

    `@extend_schema(responses={200: AccountSerializer, **problem_responses(400, 401, 403, 404)})`
    """
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer, description=_RESPONSE_DESCRIPTIONS.get(code, _TITLES.get(code, "Error"))
        )
        for code in status_codes
    }
