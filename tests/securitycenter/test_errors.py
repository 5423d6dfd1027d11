"""The API's one error format, exercised through throwaway DRF views."""

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from securitycenter.errors import Conflict, InvalidInput, NotPermitted, TooManyAttempts, field_error
from securitycenter.exception_handler import problem_exception_handler
from securitycenter.problems import PROBLEM_CONTENT_TYPE

factory = APIRequestFactory()


class LimitsSerializer(serializers.Serializer):
    daily = serializers.IntegerField(min_value=0)
    monthly = serializers.IntegerField(min_value=0)


class WindowSerializer(serializers.Serializer):
    start = serializers.TimeField()
    end = serializers.TimeField()


class PolicySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    limits = LimitsSerializer()
    windows = WindowSerializer(many=True)

    def validate(self, attrs):
        if attrs["name"] == "forbidden":
            raise serializers.ValidationError("This combination is not allowed.", code="not_allowed")
        return attrs


class PolicyView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = PolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"ok": True})


def raising_view(exc, *, permission=AllowAny):
    class RaisingView(APIView):
        permission_classes = [permission]

        def get(self, request):
            raise exc

    return RaisingView.as_view()


class CrashingView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")


urlpatterns = [path("crash/", CrashingView.as_view())]


def problem_of(response):
    response.render()
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = json.loads(response.content)
    assert body["status"] == response.status_code
    assert body["type"].endswith("/" + body["code"])
    assert body["title"]
    assert body["detail"]
    return body


def get(exc, **kwargs):
    return raising_view(exc, **kwargs)(factory.get("/thing"))


# --- Validation ---------------------------------------------------------------------------------------


def test_serializer_errors_name_every_field_including_nested_ones_and_list_indexes():
    payload = {
        "name": "a much too long name",
        "limits": {"daily": -1},
        "windows": [{"start": "08:00", "end": "20:00"}, {"start": "late", "end": "20:00"}],
    }
    response = PolicyView.as_view()(factory.post("/policy", payload, format="json"))
    assert response.status_code == 400
    body = problem_of(response)
    assert body["code"] == "validation_error"
    assert body["title"] == "Bad request"
    errors = {e["field"]: e for e in body["errors"]}
    assert set(errors) == {"name", "limits.daily", "limits.monthly", "windows.1.start"}
    assert errors["name"]["code"] == "max_length"
    assert errors["limits.daily"]["code"] == "min_value"
    assert errors["limits.monthly"]["code"] == "required"
    assert errors["windows.1.start"]["code"] == "invalid"
    assert all(e["message"] for e in body["errors"])
    assert "limits.daily: " in body["detail"]


def test_errors_on_the_request_as_a_whole_have_an_empty_field():
    payload = {"name": "forbidden", "limits": {"daily": 1, "monthly": 2}, "windows": []}
    response = PolicyView.as_view()(factory.post("/policy", payload, format="json"))
    body = problem_of(response)
    assert body["errors"] == [{"field": "", "code": "not_allowed", "message": "This combination is not allowed."}]
    assert body["detail"] == "request: This combination is not allowed."


def test_field_error_helper():
    body = problem_of(get(field_error("limits.daily", "Too high.", "above_maximum")))
    assert body["errors"] == [{"field": "limits.daily", "code": "above_maximum", "message": "Too high."}]


def test_malformed_json_is_a_parse_error():
    request = factory.post("/policy", b'{"name": "x", ', content_type="application/json")
    response = PolicyView.as_view()(request)
    assert response.status_code == 400
    body = problem_of(response)
    assert body["code"] == "parse_error"
    assert "errors" not in body


def test_a_django_validation_error_is_a_400():
    body = problem_of(get(DjangoValidationError({"time_zone": ["Not an IANA time zone."]})))
    assert body["status"] == 400
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"field": "time_zone", "code": "invalid", "message": "Not an IANA time zone."}]

    body = problem_of(get(DjangoValidationError("Nothing to change.", code="no_change")))
    assert body["errors"] == [{"field": "", "code": "no_change", "message": "Nothing to change."}]


def test_a_django_model_validation_error_keeps_codes_and_params():
    exc = DjangoValidationError(
        {
            "time_zone": DjangoValidationError(
                "%(value)r is not an IANA time zone.", code="invalid_time_zone", params={"value": "Mars/Olympus"}
            ),
            "__all__": DjangoValidationError("Choose at least one channel.", code="empty"),
        }
    )
    body = problem_of(get(exc))
    assert body["errors"] == [
        {"field": "time_zone", "code": "invalid_time_zone", "message": "'Mars/Olympus' is not an IANA time zone."},
        {"field": "", "code": "empty", "message": "Choose at least one channel."},
    ]


# --- Errors services raise on purpose -----------------------------------------------------------------


def test_domain_error_with_a_field():
    response = get(InvalidInput("The amount is over your daily limit.", code="over_daily_limit", field="amount"))
    assert response.status_code == 400
    body = problem_of(response)
    assert body["code"] == "over_daily_limit"
    assert body["detail"] == "The amount is over your daily limit."
    assert body["errors"] == [
        {"field": "amount", "code": "over_daily_limit", "message": "The amount is over your daily limit."}
    ]


def test_domain_error_kind_gives_the_status():
    response = get(NotPermitted("Loosening needs a fresh one-time password.", code="otp_required"))
    assert response.status_code == 403
    assert problem_of(response)["code"] == "otp_required"


def test_conflict_carries_the_current_state():
    current = {"version": 7, "daily_limit": 500000}
    response = get(Conflict(extra={"current": current}))
    assert response.status_code == 409
    body = problem_of(response)
    assert body["code"] == "conflict"
    assert body["title"] == "Conflict"
    assert body["current"] == current


def test_locked_says_when_to_retry():
    response = get(TooManyAttempts(retry_after=120))
    assert response.status_code == 429
    body = problem_of(response)
    assert body["code"] == "locked_out"
    assert body["retry_after"] == 120
    assert response["Retry-After"] == "120"


def test_throttled_says_when_to_retry():
    response = get(exceptions.Throttled(wait=30))
    assert response.status_code == 429
    assert problem_of(response)["retry_after"] == 30
    assert response["Retry-After"] == "30"


# --- Authentication, permission, routing --------------------------------------------------------------


def test_a_missing_credential_is_a_401_with_a_challenge():
    response = get(AssertionError("never reached"), permission=IsCustomer)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="securitycenter"'
    body = problem_of(response)
    assert body["code"] == "not_authenticated"
    assert body["title"] == "Not authenticated"


@pytest.mark.parametrize("exc", [exceptions.PermissionDenied(), DjangoPermissionDenied()])
def test_permission_denied_is_a_403(exc):
    response = get(exc)
    assert response.status_code == 403
    assert problem_of(response)["code"] == "permission_denied"


def test_http404_is_a_404_problem():
    response = get(Http404("No BankAccount matches the given query."))
    assert response.status_code == 404
    body = problem_of(response)
    assert body["code"] == "not_found"
    assert "BankAccount" not in body["detail"]


def test_an_unsupported_method_is_a_405():
    response = raising_view(AssertionError("never reached"))(factory.put("/thing", {}, format="json"))
    assert response.status_code == 405
    assert problem_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


# --- Unexpected exceptions ----------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_an_unexpected_exception_is_a_bare_500_problem_in_production(client, settings, caplog):
    settings.DEBUG = False
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/crash/")
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == {
        "type": "https://securitycenter.example/problems/internal_error",
        "title": "Internal server error",
        "status": 500,
        "code": "internal_error",
        "detail": "Something went wrong on our side. Please try again later.",
    }
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    # The traceback is for the server's log.
    assert "Internal Server Error: /crash/" in caplog.text
    assert "RuntimeError: secret connection string" in caplog.text


@pytest.mark.urls(__name__)
def test_an_unexpected_exception_still_reaches_error_trackers(client, settings):
    settings.DEBUG = False
    # The test client re-raises what got_request_exception reported, as Django does for its own 500s.
    with pytest.raises(RuntimeError, match="secret connection string"):
        client.get("/crash/")


def test_with_debug_on_the_exception_goes_to_djangos_debug_page(settings):
    settings.DEBUG = True
    assert problem_exception_handler(RuntimeError("boom"), {"request": None, "view": None}) is None
