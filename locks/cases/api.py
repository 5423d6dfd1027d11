"""The customer's cases: the incidents they reported and what the bank did with them (read only)."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.caller import request_customer
from accounts.permissions import IsCustomer
from locks.cases.selectors import customer_case_get, customer_cases
from locks.models import Case
from securitycenter.openapi import problem_responses
from securitycenter.pagination import ordered_pagination


class CaseSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.masked_number", allow_null=True, default=None)
    priority = serializers.ChoiceField(choices=[p.label.lower() for p in Case.Priority], source="priority_name")

    class Meta:
        model = Case
        fields = ["id", "kind", "status", "priority", "account", "source", "opened_at", "closed_at", "resolution"]


class CaseListView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = CaseSerializer
    pagination_class = ordered_pagination("-opened_at", "-id")

    def get_queryset(self) -> Any:
        status = self.request.query_params.get("status")
        if status is not None and status not in Case.Status.values:
            raise serializers.ValidationError({"status": [f"One of {', '.join(Case.Status.values)}."]})
        return customer_cases(customer=request_customer(self.request), status=status)

    @extend_schema(
        operation_id="cases_list",
        summary="My cases (incidents I reported, call-backs the bank owes me)",
        parameters=[OpenApiParameter("status", str, enum=Case.Status.values, required=False)],
        responses={200: CaseSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CaseDetailView(generics.GenericAPIView):
    permission_classes = [IsCustomer]
    serializer_class = CaseSerializer

    @extend_schema(summary="One of my cases", responses={200: CaseSerializer, **problem_responses(401, 403, 404)})
    def get(self, request: Request, case_id: int) -> Response:
        case = customer_case_get(customer=request_customer(request), case_id=case_id)
        return Response(CaseSerializer(case).data)
