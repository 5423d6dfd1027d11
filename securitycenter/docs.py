"""The OpenAPI schema and its two docs pages, which `API_DOCS_ENABLED` turns off (then they answer 404).

Swagger UI is served split (its start script from the same URL with `?script`, not inline), so the
Content-Security-Policy allows only this origin's scripts on these pages too; the pages' assets come from
drf-spectacular-sidecar, locally. What the pages need beyond the service's policy: inline styles (both
put a <style> in the page and style attributes in the DOM), data: images (Swagger UI's icons) and blob:
workers (Redoc's search).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from securitycenter.problems import problem, problem_response

_PAGE_POLICY = {"style-src": ["'unsafe-inline'"], "img-src": ["data:"], "worker-src": ["blob:"]}


def _when_enabled(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.API_DOCS_ENABLED:
            return problem_response(problem(status_code=404, code="not_found", detail="There is nothing at this URL."))
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return guarded


schema_view = _when_enabled(SpectacularAPIView.as_view())
swagger_view = _when_enabled(csp_update(_PAGE_POLICY)(SpectacularSwaggerSplitView.as_view(url_name="schema")))
redoc_view = _when_enabled(csp_update(_PAGE_POLICY)(SpectacularRedocView.as_view(url_name="schema")))
