"""The language of a request: its Accept-Language header, else (once the caller is known) the customer's profile.

Django's LocaleMiddleware reads the header; a customer's profile language can only be applied after DRF has
authenticated the request, which `language_for_customer` does. The payment core's hot path is left alone:
its answers carry both languages and its speed matters more than a header parse.
"""

from typing import Any

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_HOT_PATH_PREFIX = "/api/v1/authorizations"


class RequestLanguageMiddleware(LocaleMiddleware):
    def __call__(self, request: HttpRequest) -> Any:
        if request.path.startswith(_HOT_PATH_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


def language_for_customer(request: Any, language: str) -> None:
    """Use the customer's profile language for the rest of this request, unless the request named one."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    translation.activate(language)
    getattr(request, "_request", request).LANGUAGE_CODE = translation.get_language()
