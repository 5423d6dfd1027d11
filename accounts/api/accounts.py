"""The customer's own accounts and cards."""

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer
from accounts.models import BankAccount
from accounts.permissions import IsCustomer
from accounts.selectors import customer_accounts
from securitycenter.openapi import problem_responses


class AccountSummarySerializer(serializers.ModelSerializer):
    """An account or card as the app lists it: never the full number."""

    class Meta:
        model = BankAccount
        fields = ["id", "kind", "masked_number", "currency", "status", "nickname"]
        read_only_fields = fields


class AccountListView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="My accounts and cards",
        responses={200: AccountSummarySerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        accounts = customer_accounts(customer=request_customer(request))
        return Response(AccountSummarySerializer(accounts, many=True).data)


urlpatterns: list[URLPattern] = [path("accounts", AccountListView.as_view(), name="accounts")]
