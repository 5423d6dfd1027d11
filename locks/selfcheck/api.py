"""Self-check endpoints: run a scan, read past scans (the score over time), apply a finding's fix."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer, request_device
from accounts.permissions import IsCustomer
from locks.models import SelfCheckRun
from locks.selfcheck.services import self_check_fix, self_check_run
from locks.selfcheck.texts import finding_render
from securitycenter.errors import NotFound
from securitycenter.openapi import problem_responses
from securitycenter.pagination import ordered_pagination
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer


class FixSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField(help_text="What the fix does, in the customer's language")


class FindingSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stable from scan to scan; POST it to self-check/fixes")
    check = serializers.CharField()
    severity = serializers.ChoiceField(choices=["high", "medium", "low"])
    title = serializers.CharField()
    explanation = serializers.CharField()
    evidence = serializers.DictField()
    fix = FixSerializer(allow_null=True, help_text="A one-tap fix (only ever a tightening), or null")
    lesson_id = serializers.CharField(allow_null=True)


class SelfCheckRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    trigger = serializers.ChoiceField(choices=SelfCheckRun.Trigger.values)
    score = serializers.IntegerField(min_value=0, max_value=100)
    findings = FindingSerializer(many=True)


class SelfCheckRunSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    trigger = serializers.ChoiceField(choices=SelfCheckRun.Trigger.values)
    score = serializers.IntegerField()
    high = serializers.IntegerField()
    findings = serializers.IntegerField(source="finding_count")


def run_data(run: SelfCheckRun) -> dict[str, Any]:
    return SelfCheckRunSerializer(
        {
            "id": run.pk,
            "created_at": run.created_at,
            "trigger": run.trigger,
            "score": run.score,
            "findings": [finding_render(f) for f in run.findings],
        }
    ).data


class SelfCheckView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = SelfCheckRunSummarySerializer
    pagination_class = ordered_pagination("-created_at", "-id")

    def get_queryset(self) -> Any:
        return SelfCheckRun.objects.filter(customer=request_customer(self.request))

    @extend_schema(
        operation_id="self_check_list",
        summary="My past self-checks (the score over time)",
        responses={200: SelfCheckRunSummarySerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        rows = [
            {
                "id": r.pk,
                "created_at": r.created_at,
                "trigger": r.trigger,
                "score": r.score,
                "high": sum(1 for f in r.findings if f["severity"] == "high"),
                "finding_count": len(r.findings),
            }
            for r in page
        ]
        return self.get_paginated_response(SelfCheckRunSummarySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="self_check_run",
        summary="Run the self-check (安全检测) now",
        description="Every check, from my own data: a score from 0 to 100 and the findings, each with its "
        "evidence and, where one exists, a one-tap fix that only tightens.",
        request=None,
        responses={201: SelfCheckRunSerializer, **problem_responses(401, 403)},
    )
    def post(self, request: Request) -> Response:
        run = self_check_run(customer=request_customer(request), current_device=request_device(request))
        return Response(run_data(run), status=status.HTTP_201_CREATED)


class SelfCheckDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="One of my past self-checks",
        responses={200: SelfCheckRunSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = SelfCheckRun.objects.filter(pk=run_id, customer=request_customer(request)).first()
        if run is None:
            raise NotFound(_("No such self-check."))
        return Response(run_data(run))


class FixRequestSerializer(StrictSerializer):
    finding_id = serializers.CharField(max_length=80, help_text="The id of a finding of a self-check")


class FixResultSerializer(serializers.Serializer):
    fixed = FindingSerializer(help_text="The finding whose fix was applied")
    self_check = SelfCheckRunSerializer(help_text="The self-check run again after the fix")


class SelfCheckFixView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Apply a finding's one-tap fix (a tightening: no one-time password)",
        request=FixRequestSerializer,
        responses={200: FixResultSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = FixRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = self_check_fix(
            customer=request_customer(request),
            finding_id=data.validated_data["finding_id"],
            origin=Origin.from_request(request),
            current_device=request_device(request),
        )
        return Response({"fixed": finding_render(outcome.finding), "self_check": run_data(outcome.run)})
