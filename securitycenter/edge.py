"""What every request meets before any view, and what every error outside a view answers.

`RequestGuardMiddleware` refuses, before any view or parser reads a byte of the body: a body larger than
`REQUEST_BODY_MAX_BYTES` (413; DRF's parsers read the stream themselves, so Django's own
`DATA_UPLOAD_MAX_MEMORY_SIZE` never applies to them, and sign-in once accepted 100 MiB), and a path or
query string with control characters (400; PostgreSQL refuses a NUL in text, which was a 500).

`NoStoreMiddleware` marks every answer `Cache-Control: no-store` unless its view chose otherwise: tokens,
authenticator secrets, account data and decisions must not stay in a browser's, an app's or a proxy's
cache. The Content-Security-Policy is django-csp's (`CONTENT_SECURITY_POLICY` in the settings).

The `error_*` views are the URLconf's handlers: an unknown URL, a refused request Django raises itself
(`SuspiciousOperation`), a permission error outside DRF and an unexpected exception in a lean view answer
with a problem document like every other error of the service.
"""

import re
from collections.abc import Callable
from typing import Final
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from securitycenter.problems import problem, problem_response

# C0 controls and DEL: never part of a URL this service routes or an identifier it stores.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads no body for a length it cannot parse either


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.REQUEST_BODY_MAX_BYTES
        if _content_length(request) > limit:
            # Django never reads past Content-Length (a body without one reads as empty), so this bounds it.
            body = problem(
                status_code=413, code="payload_too_large", detail=f"The request body may be at most {limit} bytes."
            )
            return problem_response(body)
        for where, text in (("path", request.path_info), ("query", unquote(request.META.get("QUERY_STRING", "")))):
            if _CONTROL.search(text):
                body = problem(
                    status_code=400,
                    code="invalid_characters",
                    detail=f"The {where} contains control characters.",
                    errors=[{"field": where, "code": "invalid_characters", "message": "Control characters."}],
                )
                return problem_response(body)
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(problem(status_code=400, code="bad_request", detail="The request cannot be processed."))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(
        problem(status_code=403, code="permission_denied", detail="You are not allowed to do this.")
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(problem(status_code=404, code="not_found", detail="There is nothing at this URL."))


def error_500(request: HttpRequest) -> HttpResponse:
    # Django has logged the traceback already; the client learns nothing of it.
    body = problem(
        status_code=500, code="internal_error", detail="Something went wrong on our side. Please try again later."
    )
    return problem_response(body)
