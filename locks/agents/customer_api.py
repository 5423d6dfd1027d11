# ruff: noqa: RUF001 - Chinese text is punctuated with full-width marks, as Chinese readers expect.
"""The customer's side of what 95588 did: freezes the bank placed (and lifting them with a one-time password),
and "is the bank really calling me?"."""

from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import otp_code_from_request, request_customer
from accounts.permissions import IsCustomer
from accounts.roles import staff_number
from locks.agents.api import RemoteFreezeSerializer
from locks.agents.calls import call_status, fake_call_report
from locks.agents.freezes import remote_freeze_lift_by_customer
from locks.cases.api import CaseSerializer
from locks.models import RemoteFreeze
from locks.rules.api import OTP_HEADER
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictCharField, StrictSerializer

NOT_CALLING = {
    "zh-Hans": "95588现在没有给您打电话。如果有人自称银行、公安或客服来电，请立即挂断，并拨打95588核实。",
    "en": "95588 is not calling you now. If someone on the phone says they are the bank, police or customer "
    "service, hang up and call 95588 yourself.",
}
CALLING = {
    "zh-Hans": "95588客服（工号{agent}）正在给您打电话，对方会说出验证码{code}。如对方说的不是这个号码，请立即挂断。",
    "en": "95588 agent {agent} is calling you now and will say the code {code}. If they say another code, hang up.",
}


class CustomerFreezeListView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="bank_freezes_list",
        summary="Freezes 95588 placed on my accounts",
        responses={200: RemoteFreezeSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        freezes = RemoteFreeze.objects.filter(customer=request_customer(request)).select_related("placed_by")
        return Response(RemoteFreezeSerializer(freezes[:50], many=True).data)


class CustomerFreezeLiftView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Lift a freeze 95588 placed (a loosening: needs a one-time password)",
        request=None,
        parameters=[OTP_HEADER],
        responses={200: RemoteFreezeSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, freeze_id: int) -> Response:
        freeze = remote_freeze_lift_by_customer(
            customer=request_customer(request),
            freeze_id=freeze_id,
            otp=otp_code_from_request(request),
            origin=Origin.from_request(request),
        )
        return Response(RemoteFreezeSerializer(freeze).data)


class CallStatusSerializer(serializers.Serializer):
    calling = serializers.BooleanField(help_text="True only while a 95588 agent is calling this customer")
    agent = serializers.CharField(allow_null=True, help_text="The agent's work number")
    code = serializers.CharField(allow_null=True, help_text="The code the agent will say")
    started_at = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(help_text="What to tell the customer, in their language")


class FakeCallReportSerializer(StrictSerializer):
    caller_number = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


def _language(request: Request) -> str:
    customer = request_customer(request)
    return customer.language if customer.language in NOT_CALLING else settings.LANGUAGE_CODE


class CallStatusView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary='"Is the bank really calling me?" (the call 95588 is making to me now, if any)',
        responses={200: CallStatusSerializer, **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        call = call_status(customer=request_customer(request))
        language = _language(request)
        body: dict[str, Any]
        if call is None:
            body = {
                "calling": False,
                "agent": None,
                "code": None,
                "started_at": None,
                "until": None,
                "message": NOT_CALLING[language],
            }
        else:
            agent = staff_number(call.agent)
            body = {
                "calling": True,
                "agent": agent,
                "code": call.spoken_code,
                "started_at": call.started_at,
                "until": call.ends_at,
                "message": CALLING[language].format(agent=agent, code=call.spoken_code),
            }
        return Response(CallStatusSerializer(body).data)


class FakeCallReportView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Report a call that pretended to be 95588 (opens a case for the bank's people)",
        request=FakeCallReportSerializer,
        responses={201: CaseSerializer, **problem_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = FakeCallReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with translation.override(_language(request)):
            case = fake_call_report(
                customer=request_customer(request),
                caller_number=data.validated_data["caller_number"],
                note=data.validated_data["note"],
                origin=Origin.from_request(request),
            )
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)
