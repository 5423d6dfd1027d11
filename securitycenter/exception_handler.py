"""The DRF edge of the one error format: every exception a DRF view lets out becomes a problem document.

Domain errors (`securitycenter.errors`) are mapped by `securitycenter.problems`; DRF's own exceptions
(validation, authentication, permission, throttling, routing) and Django's (Http404, PermissionDenied,
ValidationError) get the same shape. An unexpected exception becomes a bare 500 problem
(`internal_error`): the traceback goes to the server log, never to the client.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from securitycenter.errors import DomainError
from securitycenter.problems import PROBLEM_CONTENT_TYPE, TITLES, domain_problem, problem, problem_headers

request_logger = logging.getLogger("django.request")


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as `[{field, code, message}]` with dotted field paths."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else ""
            out.extend(flatten_errors(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
        return out
    if isinstance(detail, list):
        if all(isinstance(d, (str, exceptions.ErrorDetail)) for d in detail):
            return [
                {"field": prefix, "code": getattr(d, "code", "invalid") or "invalid", "message": str(d)} for d in detail
            ]
        out = []
        for i, value in enumerate(detail):
            if value:
                out.extend(flatten_errors(value, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid") or "invalid", "message": str(detail)}]


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
    if isinstance(exc, DomainError):
        set_rollback()
        body = domain_problem(exc)
        return Response(body, status=body["status"], headers=problem_headers(exc), content_type=PROBLEM_CONTENT_TYPE)
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

    extra: dict[str, Any] = {}
    errors: list[dict[str, str]] | None = None
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        errors = flatten_errors(exc.detail)
        detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in errors) or "Invalid input."
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = str(exc.detail) if isinstance(exc.detail, str) else str(exc.default_detail)
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            extra["retry_after"] = int(wait)

    response.data = problem(status_code=response.status_code, code=str(code), detail=detail, errors=errors, **extra)
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
        title=TITLES[500],
        detail="Something went wrong on our side. Please try again later.",
    )
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR, content_type=PROBLEM_CONTENT_TYPE)
