"""The customer's payee check against the fraud risk list (融安e信), before a transfer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer
from accounts.permissions import IsCustomer
from locks.decision.patterns import whole
from locks.risklist.services import payee_check
from securitycenter.openapi import problem_responses
from securitycenter.serializers import StrictSerializer


class PayeeCheckSerializer(StrictSerializer):
    account = serializers.RegexField(
        whole(r"[0-9A-Za-z -]{8,40}"), help_text="The counterparty's account or card number"
    )


class PayeeCheckResultSerializer(serializers.Serializer):
    listed = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=["medium", "high"], allow_null=True)
    advice = serializers.DictField(child=serializers.CharField(), help_text="zh-Hans and en")


class PayeeCheckView(APIView):
    """POST, not GET: a full account number must not end up in URLs and access logs."""

    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Check a payee's account against the fraud risk list before transferring (融安e信)",
        request=PayeeCheckSerializer,
        responses={
            200: PayeeCheckResultSerializer,
            **problem_responses(400, 401, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        data = PayeeCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = payee_check(customer=request_customer(request), account_number=data.validated_data["account"])
        return Response(PayeeCheckResultSerializer(result).data)
