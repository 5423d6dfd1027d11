"""The call-back queue's endpoints: the queue, claims, outcomes, and a call started from a case."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import agent_with
from accounts.roles import staff_number
from locks.agents.api import BankCallSerializer
from locks.callbacks.claims import callback_claim, case_call_start
from locks.callbacks.outcomes import OUTCOMES, callback_outcome_record
from locks.callbacks.queue import QueueEntry, callback_queue
from locks.models import CaseWork
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer


class QueueEntrySerializer(serializers.Serializer):
    case_id = serializers.IntegerField(source="case.pk")
    kind = serializers.CharField(source="case.kind")
    priority = serializers.CharField(source="case.priority_name")
    customer_number = serializers.CharField(source="case.customer.customer_number")
    customer_age = serializers.IntegerField(allow_null=True)
    account = serializers.CharField(source="case.account.masked_number", allow_null=True, default=None)
    amount = serializers.IntegerField(allow_null=True, help_text="Minor units")
    currency = serializers.CharField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text="When the payment is released or defaulted")
    seconds_left = serializers.IntegerField(allow_null=True)
    waited_seconds = serializers.IntegerField(help_text="Since the case was opened")
    attempts = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()
    claimed_by = serializers.SerializerMethodField(help_text="The work number of the agent holding it, if any")
    reason = serializers.CharField(source="case.reason")

    def get_attempts(self, entry: QueueEntry) -> int:
        return entry.work.attempts if entry.work is not None else 0

    def get_escalated(self, entry: QueueEntry) -> bool:
        return entry.work is not None and entry.work.escalated_at is not None

    def get_claimed_by(self, entry: QueueEntry) -> str | None:
        holder = entry.claimed_by
        return staff_number(holder) if holder is not None else None


class CaseWorkSerializer(serializers.ModelSerializer):
    case_id = serializers.IntegerField(source="case.pk")
    case_status = serializers.CharField(source="case.status")

    class Meta:
        model = CaseWork
        fields = [
            "case_id",
            "case_status",
            "claim_expires_at",
            "attempts",
            "next_attempt_at",
            "escalated_at",
            "outcome",
        ]


class OutcomeSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CallbackQueueView(APIView):
    permission_classes = [agent_with("accounts.view_queue")]

    @extend_schema(
        operation_id="agent_callbacks_list",
        summary="The call-back queue across customers, most urgent first, with how long each case waited",
        responses={200: QueueEntrySerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(QueueEntrySerializer(callback_queue(agent=request.user), many=True).data)


class CallbackClaimView(APIView):
    permission_classes = [agent_with("accounts.work_callbacks")]

    @extend_schema(
        summary="Claim a case (one agent at a time; the claim lapses after CALLBACK_CLAIM_MINUTES)",
        request=None,
        responses={200: CaseWorkSerializer, **problem_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        work = callback_claim(agent=request.user, case_id=case_id, origin=Origin.from_request(request))
        return Response(CaseWorkSerializer(work).data)


class CallbackOutcomeView(APIView):
    permission_classes = [agent_with("accounts.work_callbacks")]

    @extend_schema(
        summary="Record the call's outcome: confirmed, fraud_confirmed or unreachable (needs your live claim)",
        request=OutcomeSerializer,
        responses={200: CaseWorkSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        work = callback_outcome_record(
            agent=request.user,
            case_id=case_id,
            outcome=data.validated_data["outcome"],
            note=data.validated_data["note"],
            origin=Origin.from_request(request),
        )
        work.case.refresh_from_db(fields=["status"])
        return Response(CaseWorkSerializer(work).data)


class CallbackCallView(APIView):
    permission_classes = [agent_with("accounts.work_callbacks")]

    @extend_schema(
        summary="Start calling the case's customer (needs your live claim): their app shows the call",
        request=None,
        responses={201: BankCallSerializer, **problem_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, case_id: int) -> Response:
        call = case_call_start(agent=request.user, case_id=case_id, origin=Origin.from_request(request))
        return Response(BankCallSerializer(call).data, status=status.HTTP_201_CREATED)
