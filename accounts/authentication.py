"""DRF authentication for the three kinds of caller.

- customers and staff: `Authorization: Bearer <token>`; a customer also sends `X-Device-Id`, the
  device the token was issued to;
- service clients (the payment core): `Authorization: ApiKey <key>` (or `X-Api-Key: <key>`).

`request.user` is then a `Customer`, a staff `User` or a `ServiceClient`; permissions check which.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.models import ApiKey, AuthToken, ServiceClient
from accounts.service_clients import api_key_resolve
from accounts.tokens import TokenInvalid, auth_token_resolve
from securitycenter.language import language_for_customer


def _credentials(request: Request, scheme: bytes) -> str | None:
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != scheme.lower():
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.", code="malformed_credentials")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.", code="malformed_credentials") from None


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, AuthToken] | None:
        raw = _credentials(request, b"Bearer")
        if raw is None:
            return None
        try:
            token = auth_token_resolve(raw=raw, device_id=request.META.get("HTTP_X_DEVICE_ID"))
        except TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(
                "The token is not valid for this device." if exc.reason.startswith("device") else "Invalid token.",
                code=f"token_{exc.reason}",
            ) from None
        if token.customer is not None:
            language_for_customer(request, token.customer.language)
            return token.customer, token
        return token.staff_user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="securitycenter"'


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ServiceClient, ApiKey] | None:
        raw = _credentials(request, b"ApiKey") or request.META.get("HTTP_X_API_KEY")
        if not raw:
            return None
        key = api_key_resolve(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
        return key.client, key

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="securitycenter"'


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A customer's or a staff member's token from a login endpoint. A customer's token "
            "is bound to the device it was issued to: customer operations also take the X-Device-Id header.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "The service client's API key (the payment core), as it was shown once. "
            "`Authorization: ApiKey <key>` is accepted too.",
        }
