"""Sign-in, sign-out, the customer's profile and devices; staff sign-in for the 95588 agent API."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer
from accounts.models import AuthToken, Customer, Device
from accounts.permissions import IsAgent, IsCustomer
from accounts.signin import customer_sign_in, device_list, device_revoke, staff_sign_in, token_sign_out
from accounts.tokens import token_idle_timeout
from securitycenter.client_address import client_address
from securitycenter.openapi import ProblemSerializer
from securitycenter.pagination import ordered_pagination
from securitycenter.problems import PROBLEM_CONTENT_TYPE
from securitycenter.securitylog.record import Actor, Origin

# --- schema helpers ---------------------------------------------------------------------------------


def _problems(descriptions: dict[int, str]) -> dict[tuple[int, str], OpenApiResponse]:
    """Error responses as problem documents, each described with the codes it may carry."""
    return {
        (status_code, PROBLEM_CONTENT_TYPE): OpenApiResponse(response=ProblemSerializer, description=description)
        for status_code, description in descriptions.items()
    }


_BAD_INPUT = "Invalid input (`validation_error`): `errors` names each offending field."
_UNAUTHENTICATED = "No valid customer token for this device (`not_authenticated`, `token_*`)."
_NOT_A_CUSTOMER = "The caller is not a customer (a staff token or a service API key)."
_LOCKED = "`login_locked`: too many failed sign-ins; try again after `retry_after` seconds (also Retry-After)."


def _token(request: Request) -> AuthToken:
    assert isinstance(request.auth, AuthToken)  # only bearer tokens authenticate customers and agents
    return request.auth


def _phone_masked(phone: str) -> str:
    return f"{phone[:-8]}****{phone[-4:]}" if len(phone) > 8 else "****"


# --- serializers ------------------------------------------------------------------------------------


class DeviceInfoSerializer(serializers.Serializer[Any]):
    id = serializers.RegexField(
        r"^[\x21-\x7e]{1,128}\Z",
        max_length=128,
        help_text="The identifier the app generated at install time; send it as X-Device-Id afterwards.",
        error_messages={"invalid": "Use 1 to 128 printable ASCII characters without spaces."},
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    platform = serializers.RegexField(
        r"^[A-Za-z0-9._-]{1,16}\Z",
        max_length=16,
        help_text="e.g. ios, android, harmonyos",
        error_messages={"invalid": "Use up to 16 letters, digits, '.', '_' or '-'."},
    )


class LoginSerializer(serializers.Serializer[Any]):
    login = serializers.CharField(max_length=64, help_text="Phone number in E.164 (+8613800138000) or customer number.")
    # Never trimmed: a space may be part of a password.
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    device = DeviceInfoSerializer()


class CustomerProfileSerializer(serializers.Serializer[Any]):
    customer_number = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()
    time_zone = serializers.CharField()


class MeSerializer(CustomerProfileSerializer):
    phone = serializers.SerializerMethodField(help_text="Masked.")

    def get_phone(self, customer: Customer) -> str:
        return _phone_masked(customer.phone)


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Shown once. Send as `Authorization: Bearer <token>`.")
    token_type = serializers.CharField(default="Bearer")
    expires_at = serializers.DateTimeField(help_text="Absolute end of the session, however active.")
    idle_timeout_seconds = serializers.IntegerField(help_text="The session ends after this long without a request.")


class CustomerTokenSerializer(TokenSerializer):
    customer = CustomerProfileSerializer()


class StaffLoginSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    totp = serializers.RegexField(
        r"^[0-9]{6}$", help_text="The 6-digit code of the staff member's authenticator (enrolled by an administrator)"
    )


class DeviceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    trusted = serializers.BooleanField()
    revoked = serializers.SerializerMethodField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="True for the device making this request.")

    def get_revoked(self, device: Device) -> bool:
        return device.revoked_at is not None

    def get_current(self, device: Device) -> bool:
        return bool(device.pk == self.context.get("current_device_pk"))


def _token_body(*, raw: str, token: AuthToken) -> dict[str, Any]:
    return {
        "token": raw,
        "token_type": "Bearer",
        "expires_at": token.expires_at,
        "idle_timeout_seconds": int(token_idle_timeout(token).total_seconds()),
    }


# --- customer views ---------------------------------------------------------------------------------


class LoginView(APIView):
    # Signing in must work whatever stale credentials the app still sends.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign a customer in on a device",
        description=(
            "Checks the password and issues a bearer token bound to the device: send it with `X-Device-Id`. "
            "A new sign-in on the same device ends the device's earlier sessions. Wrong passwords are counted "
            "per customer and per address; too many lock sign-in for a while."
        ),
        request=LoginSerializer,
        responses={
            200: CustomerTokenSerializer,
            **_problems(
                {
                    400: _BAD_INPUT,
                    401: "`invalid_credentials`: the login or the password is wrong (the same answer for both).",
                    403: "`device_revoked`: the customer removed this device; it cannot sign in.",
                    429: _LOCKED,
                }
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device = data["device"]
        signed_in = customer_sign_in(
            login=data["login"],
            password=data["password"],
            device_id=device["id"],
            device_name=device["name"],
            platform=device["platform"],
            origin=Origin(ip_address=client_address(request), device=device["id"]),
        )
        body = _token_body(raw=signed_in.issued.raw, token=signed_in.issued.token)
        body["customer"] = signed_in.customer
        return Response(CustomerTokenSerializer(body).data)


class LogoutView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Sign out: revoke the token of this request",
        request=None,
        responses={204: None, **_problems({401: _UNAUTHENTICATED, 403: _NOT_A_CUSTOMER})},
    )
    def post(self, request: Request) -> Response:
        token_sign_out(token=_token(request), origin=Origin.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="The signed-in customer's profile",
        responses={200: MeSerializer, **_problems({401: _UNAUTHENTICATED, 403: _NOT_A_CUSTOMER})},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request_customer(request)).data)


class DeviceListView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = DeviceSerializer
    pagination_class = ordered_pagination("-last_seen_at", "-id")

    def get_queryset(self) -> Any:
        return device_list(customer=request_customer(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_device_pk": _token(self.request).device_id}

    @extend_schema(
        summary="The customer's devices",
        description="Every device the customer signed in from, the revoked ones included, most recent first.",
        responses={
            200: DeviceSerializer(many=True),
            **_problems({400: "A bad cursor or page size.", 401: _UNAUTHENTICATED, 403: _NOT_A_CUSTOMER}),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeviceRevokeView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Remove a device from the account",
        description=(
            "The device can no longer sign in and all its sessions end at once. This makes the account safer, "
            "so it needs no one-time password. Revoking the calling device signs it out; revoking twice is harmless."
        ),
        request=None,
        responses={
            200: DeviceSerializer,
            **_problems({401: _UNAUTHENTICATED, 403: _NOT_A_CUSTOMER, 404: "No such device among the customer's."}),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = request_customer(request)
        device = get_object_or_404(Device, pk=pk, customer=customer)
        device = device_revoke(device=device, actor=Actor.customer(customer), origin=Origin.from_request(request))
        context = {"current_device_pk": _token(request).device_id}
        return Response(DeviceSerializer(device, context=context).data)


# --- staff views ------------------------------------------------------------------------------------


class AgentLoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Sign a call-centre agent in",
        description=(
            "Password and authenticator code, for staff users whose role carries agent_access (agent, "
            "supervisor, auditor). The token is not bound to a device and lapses after STAFF_IDLE_TIMEOUT_MINUTES "
            "without use."
        ),
        request=StaffLoginSerializer,
        responses={
            200: TokenSerializer,
            **_problems(
                {
                    400: _BAD_INPUT,
                    401: "`invalid_credentials`: the username, password or code is wrong (one answer for all).",
                    403: "`not_an_agent`: this staff account may not use the agent API; `totp_not_enrolled`.",
                    429: _LOCKED,
                }
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = StaffLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = staff_sign_in(
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            totp=serializer.validated_data["totp"],
            origin=Origin.from_request(request),
        )
        return Response(TokenSerializer(_token_body(raw=issued.raw, token=issued.token)).data)


class AgentLogoutView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        summary="Sign an agent out: revoke the token of this request",
        request=None,
        responses={
            204: None,
            **_problems({401: "No valid staff token.", 403: "The caller is not a call-centre agent."}),
        },
    )
    def post(self, request: Request) -> Response:
        token_sign_out(token=_token(request), origin=Origin.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("auth/login", LoginView.as_view(), name="auth-login"),
    path("auth/logout", LogoutView.as_view(), name="auth-logout"),
    path("auth/me", MeView.as_view(), name="auth-me"),
    path("devices", DeviceListView.as_view(), name="device-list"),
    path("devices/<int:pk>/revoke", DeviceRevokeView.as_view(), name="device-revoke"),
    path("agent/auth/login", AgentLoginView.as_view(), name="agent-auth-login"),
    path("agent/auth/logout", AgentLogoutView.as_view(), name="agent-auth-logout"),
]
