"""The one error format in the OpenAPI schema: the `Problem` component and the error responses views declare.

`@extend_schema(responses={200: AccountSerializer, **problem_responses(400, 401, 403, 404)})`
"""

from drf_spectacular.utils import OpenApiResponse
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
