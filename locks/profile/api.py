"""The customer's profile: read it, change its language and time zone."""

import zoneinfo
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import otp_code_from_request, request_customer
from accounts.models import Customer
from accounts.permissions import IsCustomer
from locks.profile.services import profile_change
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer


class ProfileSerializer(serializers.Serializer):
    customer_number = serializers.CharField()
    name = serializers.CharField()
    language = serializers.ChoiceField(choices=Customer.Language.values)
    time_zone = serializers.CharField(help_text="IANA time zone; time locks are read in it")


class ProfileChangeSerializer(StrictSerializer):
    language = serializers.ChoiceField(choices=Customer.Language.values, required=False)
    time_zone = serializers.CharField(required=False, max_length=64)
    otp = serializers.CharField(required=False, max_length=12)

    def validate_time_zone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(_("Not an IANA time zone, e.g. Asia/Shanghai."), code="invalid_time_zone")
        return value


class ProfileChangeResultSerializer(ProfileSerializer):
    loosened = serializers.ListField(
        child=serializers.CharField(), help_text="What the change loosened (it then needed a one-time password)"
    )


def _profile(customer: Customer) -> dict[str, Any]:
    return {
        "customer_number": customer.customer_number,
        "name": customer.name,
        "language": customer.language,
        "time_zone": customer.time_zone,
    }


class ProfileView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(summary="My profile", responses={200: ProfileSerializer, **problem_responses(401, 403)})
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(_profile(request_customer(request))).data)

    @extend_schema(
        summary="Change my language or time zone",
        description="A time-zone change while time locks are set loosens them (a window moves in real time), so "
        "it needs a one-time password (X-OTP or `otp`); otherwise neither change does.",
        request=ProfileChangeSerializer,
        responses={200: ProfileChangeResultSerializer, **problem_responses(400, 401, 403, 429)},
    )
    def patch(self, request: Request) -> Response:
        data = ProfileChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = profile_change(
            customer=request_customer(request),
            origin=Origin.from_request(request),
            language=data.validated_data.get("language"),
            time_zone=data.validated_data.get("time_zone"),
            otp=otp_code_from_request(request),
        )
        return Response(ProfileChangeResultSerializer({**_profile(change.customer), "loosened": change.loosened}).data)
