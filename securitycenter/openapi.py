"""The one error format in the OpenAPI schema: the `Problem` component and the error responses views declare.

`@extend_schema(responses={200: AccountSerializer, **problem_responses(400, 401, 403, 404)})`
"""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from securitycenter.problems import PROBLEM_CONTENT_TYPE, TITLES


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
    account_id = serializers.IntegerField(
        required=False, help_text="On a 409 `version_conflict` of a lock change: the account whose locks moved on."
    )
    hold_status = serializers.CharField(
        required=False, help_text="On a 409 `hold_not_held`: the state the hold is in now."
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
            response=ProblemSerializer, description=_RESPONSE_DESCRIPTIONS.get(code, TITLES.get(code, "Error"))
        )
        for code in status_codes
    }


# --- Who calls each operation ------------------------------------------------------------------------

CUSTOMER, AGENT, PAYMENT_CORE = "customer", "agent", "payment core"
# The one security scheme each kind of caller authenticates with (the schemes are the authentication
# classes' OpenApiAuthenticationExtensions).
SECURITY_OF_CALLER = {CUSTOMER: "bearerToken", AGENT: "bearerToken", PAYMENT_CORE: "apiKey"}
DEVICE_ID_HEADER = OpenApiParameter(
    "X-Device-Id",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The device the customer's token was issued to (the `device.id` sent at sign-in).",
)
_PARAMETER = re.compile(r"^\{.*\}$")


def operation_area(path: str) -> str:
    """The area of the API an operation belongs to, from its path: `/api/v1/accounts/{id}/locks` → locks,
    `/api/v1/agent/customers/{customer_number}/holds` → holds, `/api/v1/otp/devices` → otp."""
    parts = [p for p in path.split("/") if p][2:]  # without api/v1
    if parts and parts[0] in ("agent", "service"):
        parts = parts[1:]
    if len(parts) >= 3 and _PARAMETER.match(parts[1]) and parts[0] in ("accounts", "customers"):
        return parts[2]
    return parts[0] if parts else "api"


class CallerAutoSchema(AutoSchema):
    """Each operation as its callers see it: the one security scheme its permission accepts (not every
    authentication class the project has), the `X-Device-Id` header a customer's token needs, and a tag
    naming the caller and the area ("customer: locks", "agent: holds")."""

    def operation_caller(self) -> str | None:
        """customer, agent, payment core; None for an operation anybody may call (sign-in)."""
        for permission in self.view.get_permissions():
            caller = getattr(permission, "schema_caller", None)
            if caller is not None:
                return str(caller)
        return None

    def _caller_for_tag(self) -> str:
        caller = self.operation_caller()
        if caller is not None:
            return caller
        parts = [p for p in self.path.split("/") if p][2:]
        return {"agent": AGENT, "service": PAYMENT_CORE}.get(parts[0] if parts else "", CUSTOMER)

    def get_auth(self) -> list[dict[str, list[Any]]]:
        requirements = super().get_auth()  # registers the security schemes' components
        caller = self.operation_caller()
        if caller is None:
            return []
        return [r for r in requirements if list(r) == [SECURITY_OF_CALLER[caller]]]

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.operation_caller() == CUSTOMER:
            parameters.append(DEVICE_ID_HEADER)
        return parameters

    def get_operation_id(self) -> str:
        # Every path is under /api/v1/: the version is no part of an operation's name.
        return str(super().get_operation_id()).removeprefix("v1_")

    def get_tags(self) -> list[str]:
        return [f"{self._caller_for_tag()}: {operation_area(self.path)}"]

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular assumes a PATCH validates partially (as DRF's generic views do) and drops every
        # `required`. These views validate a PATCH body with the serializer as it is: say so.
        method = self.method
        if method == "PATCH" and not hasattr(self.view, "partial_update"):
            self.method = "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method


def responses_closed(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: a response body has exactly the properties its schema declares.

    Every object schema reachable from a response (not from a request body) gets `additionalProperties:
    false` unless it says otherwise, so a client may rely on the schema and the schemathesis suite fails
    on a response with a member nobody described.
    """
    schemas = result.get("components", {}).get("schemas", {})
    seen: set[int] = set()

    def close(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                close(item)
            return
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            close(schemas.get(ref.rsplit("/", 1)[1]))
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key, value in node.items():
            if key not in ("$ref", "example", "examples", "default", "enum"):
                close(value)

    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                close(list(operation.get("responses", {}).values()))
    return result
