"""One-time password endpoints: TOTP authenticators, SMS codes and a plain code check."""

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import otp_code_from_request, request_customer
from accounts.models import OtpDevice
from accounts.otp import (
    otp_device_confirm,
    otp_device_enroll,
    otp_device_list,
    otp_device_remove,
    otp_step_up_verify,
    sms_code_send,
)
from accounts.permissions import IsCustomer
from securitycenter.openapi import ProblemSerializer
from securitycenter.problems import PROBLEM_CONTENT_TYPE
from securitycenter.securitylog.record import Origin

_CODE_REGEX = r"^[0-9]{6}\Z"
_CODE_ERRORS: dict[str, Any] = {"invalid": "Enter the 6-digit code."}


def _problem(status_code: int, description: str) -> dict[tuple[int, str], OpenApiResponse]:
    return {(status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(response=ProblemSerializer, description=description)}


_NOT_AUTHENTICATED = _problem(401, "No valid customer token.")
_NOT_A_CUSTOMER = _problem(403, "The caller is not a customer (a staff token or a service API key).")
_NOT_FOUND = _problem(404, "No such device among the caller's own.")
_BAD_INPUT = _problem(400, "Invalid input: `errors` names the field.")
_OTP_REFUSED = _problem(
    403,
    "`otp_required`: no one-time password; `otp_invalid`: wrong, expired or already used (counted as a failure); "
    "or the caller is not a customer.",
)
_OTP_LOCKED = _problem(429, "`otp_locked`: too many wrong codes; `retry_after` says how many seconds to wait.")

_X_OTP = OpenApiParameter(
    "X-OTP",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A current one-time password (TOTP or SMS code); alternative to the body field.",
)


class OtpDeviceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    confirmed = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_confirmed(self, device: OtpDevice) -> bool:
        return device.confirmed_at is not None


class OtpDeviceEnrolledSerializer(OtpDeviceSerializer):
    otpauth_uri = serializers.CharField(help_text="otpauth:// URI with the secret. Returned in this response only.")


class OtpDeviceEnrolInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="A current one-time password of an existing method (an SMS code for the first authenticator). "
        "May be sent as the X-OTP header instead.",
    )


class OtpCodeInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(_CODE_REGEX, error_messages=_CODE_ERRORS)


class OtpDeviceRemoveInputSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(
        _CODE_REGEX, error_messages=_CODE_ERRORS, help_text="A current one-time password; or the X-OTP header."
    )


class SmsCodeSentSerializer(serializers.Serializer[Any]):
    expires_at = serializers.DateTimeField()


class OtpDeviceListCreateApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="otp_devices_list",
        summary="The caller's authenticators (no secrets)",
        responses={200: OtpDeviceSerializer(many=True), **_NOT_AUTHENTICATED, **_NOT_A_CUSTOMER},
    )
    def get(self, request: Request) -> Response:
        devices = otp_device_list(customer=request_customer(request))
        return Response(OtpDeviceSerializer(devices, many=True).data)

    @extend_schema(
        operation_id="otp_devices_enrol",
        summary="Start enrolling a TOTP authenticator",
        description="Needs a one-time password of an existing method. Returns the otpauth URI (with the secret) "
        "once; the device counts for step-up only after it is confirmed.",
        parameters=[_X_OTP],
        request=OtpDeviceEnrolInputSerializer,
        responses={
            201: OtpDeviceEnrolledSerializer,
            **_BAD_INPUT,
            **_NOT_AUTHENTICATED,
            **_OTP_REFUSED,
            **_problem(409, "`otp_device_limit`: the customer has the most authenticators allowed."),
            **_OTP_LOCKED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = OtpDeviceEnrolInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrolled = otp_device_enroll(
            customer=request_customer(request),
            name=serializer.validated_data["name"],
            otp=otp_code_from_request(request),
            origin=Origin.from_request(request),
        )
        body = dict(OtpDeviceSerializer(enrolled.device).data) | {"otpauth_uri": enrolled.otpauth_uri}
        # The body carries the secret: no cache may keep it.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class OtpDeviceRemoveApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="otp_devices_remove",
        summary="Remove an authenticator",
        description="Needs a current one-time password of any confirmed method, in the body or X-OTP.",
        parameters=[_X_OTP],
        request=OtpDeviceRemoveInputSerializer,
        responses={
            204: None,
            **_BAD_INPUT,
            **_NOT_AUTHENTICATED,
            **_OTP_REFUSED,
            **_NOT_FOUND,
            **_OTP_LOCKED,
        },
    )
    def delete(self, request: Request, device_id: int) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        header_code = request.META.get("HTTP_X_OTP")
        if "code" not in data and header_code:
            data = {"code": header_code}
        serializer = OtpDeviceRemoveInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        otp_device_remove(
            customer=request_customer(request),
            device_id=device_id,
            code=serializer.validated_data["code"],
            origin=Origin.from_request(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class OtpDeviceConfirmApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="otp_devices_confirm",
        summary="Confirm an authenticator with its first code",
        request=OtpCodeInputSerializer,
        responses={
            200: OtpDeviceSerializer,
            **_problem(400, "Invalid input, or `otp_invalid`: the code is wrong (counted as a failure)."),
            **_NOT_AUTHENTICATED,
            **_NOT_A_CUSTOMER,
            **_NOT_FOUND,
            **_problem(409, "`otp_device_already_confirmed`, or `otp_device_expired`: enrol again."),
            **_OTP_LOCKED,
        },
    )
    def post(self, request: Request, device_id: int) -> Response:
        serializer = OtpCodeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = otp_device_confirm(
            customer=request_customer(request),
            device_id=device_id,
            code=serializer.validated_data["code"],
            origin=Origin.from_request(request),
        )
        return Response(OtpDeviceSerializer(device).data)


class SmsCodeSendApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="otp_sms_send",
        summary="Text the caller a one-time code",
        description="At most one per minute and five per hour. A new code replaces the previous one.",
        request=None,
        responses={
            202: SmsCodeSentSerializer,
            **_NOT_AUTHENTICATED,
            **_NOT_A_CUSTOMER,
            **_problem(429, "`sms_rate_limited` or `otp_locked`: `retry_after` says when to ask again."),
        },
    )
    def post(self, request: Request) -> Response:
        sms_code = sms_code_send(customer=request_customer(request), origin=Origin.from_request(request))
        return Response(SmsCodeSentSerializer(sms_code).data, status=status.HTTP_202_ACCEPTED)


class OtpVerifyApi(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="otp_verify",
        summary="Check (and use up) a one-time password",
        request=OtpCodeInputSerializer,
        responses={
            204: None,
            **_BAD_INPUT,
            **_NOT_AUTHENTICATED,
            **_OTP_REFUSED,
            **_OTP_LOCKED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = OtpCodeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp_step_up_verify(
            customer=request_customer(request),
            code=serializer.validated_data["code"],
            origin=Origin.from_request(request),
            field="code",
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("otp/devices", OtpDeviceListCreateApi.as_view(), name="otp-devices"),
    path("otp/devices/<int:device_id>", OtpDeviceRemoveApi.as_view(), name="otp-device"),
    path("otp/devices/<int:device_id>/confirm", OtpDeviceConfirmApi.as_view(), name="otp-device-confirm"),
    path("otp/sms", SmsCodeSendApi.as_view(), name="otp-sms"),
    path("otp/verify", OtpVerifyApi.as_view(), name="otp-verify"),
]
