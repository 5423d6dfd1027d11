"""Hold endpoints: customers see and cancel their holds, agents stop them, the payment core reads them."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import otp_code_from_request, request_customer
from accounts.models import Customer
from accounts.permissions import IsCustomer, agent_with, service_with
from locks.holds.services import hold_cancel, hold_release_early, hold_stop
from locks.lessons.fit import lesson_for_reasons
from locks.models import Hold
from securitycenter.openapi import problem_responses
from securitycenter.pagination import ordered_pagination
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record
from securitycenter.serializers import StrictSerializer


class HoldSerializer(serializers.ModelSerializer):
    transaction_id = serializers.CharField(source="authorization.transaction_id")
    account = serializers.CharField(source="account.masked_number", help_text="Masked account or card number")
    can_cancel = serializers.SerializerMethodField()
    lesson_id = serializers.SerializerMethodField(help_text="The lesson that fits (GET /api/v1/lessons/{id})")
    device_signals = serializers.JSONField(
        source="authorization.device_signals",
        read_only=True,
        allow_null=True,
        help_text="What the app reported of the phone with the payment (on a call, screen sharing…), if anything",
    )

    class Meta:
        model = Hold
        fields = [
            "id",
            "transaction_id",
            "account",
            "amount",
            "currency",
            "reasons",
            "status",
            "release_at",
            "created_at",
            "resolved_at",
            "stop_reason",
            "can_cancel",
            "lesson_id",
            "device_signals",
        ]

    def get_can_cancel(self, hold: Hold) -> bool:
        return hold.status == Hold.Status.HELD

    def get_lesson_id(self, hold: Hold) -> str | None:
        return lesson_for_reasons(hold.reasons)


def _holds() -> Any:
    return Hold.objects.select_related("authorization", "account")


class CustomerHoldListView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = HoldSerializer
    pagination_class = ordered_pagination("-created_at", "-id")

    def get_queryset(self) -> Any:
        return _holds().filter(account__customer=request_customer(self.request))

    @extend_schema(
        operation_id="holds_list",
        summary="My held transfers",
        responses={200: HoldSerializer(many=True), **problem_responses(400, 401, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CustomerHoldDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="One of my held transfers", responses={200: HoldSerializer, **problem_responses(401, 403, 404)}
    )
    def get(self, request: Request, hold_id: int) -> Response:
        hold = _holds().filter(pk=hold_id, account__customer=request_customer(request)).first()
        if hold is None:
            raise Http404("No such hold.")
        return Response(HoldSerializer(hold).data)


class CustomerHoldCancelView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Cancel a held transfer (a tightening: no one-time password)",
        request=None,
        responses={200: HoldSerializer, **problem_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, hold_id: int) -> Response:
        try:
            hold = hold_cancel(customer=request_customer(request), hold_id=hold_id, origin=Origin.from_request(request))
        except Hold.DoesNotExist:
            raise Http404("No such hold.") from None
        return Response(HoldSerializer(_holds().get(pk=hold.pk)).data)


class HoldReleaseEarlySerializer(serializers.Serializer):
    hold = HoldSerializer()
    awaiting_contact = serializers.BooleanField(help_text="True: it waits for your trusted contact to confirm")


class CustomerHoldReleaseEarlyView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="End the cooling-off of a held transfer early (a loosening: one-time password in X-OTP)",
        description="With a trusted contact, the contact must confirm as well: the answer is 202 and the hold "
        "is released when they do. Not while the bank's call-back about the transfer is pending.",
        request=None,
        responses={
            200: HoldReleaseEarlySerializer,
            202: HoldReleaseEarlySerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, hold_id: int) -> Response:
        try:
            hold, confirmation = hold_release_early(
                customer=request_customer(request),
                hold_id=hold_id,
                origin=Origin.from_request(request),
                otp=otp_code_from_request(request),
            )
        except Hold.DoesNotExist:
            raise Http404("No such hold.") from None
        body = {"hold": _holds().get(pk=hold.pk), "awaiting_contact": confirmation is not None}
        return Response(HoldReleaseEarlySerializer(body).data, status=202 if confirmation is not None else 200)


class AgentCustomerHoldsView(APIView):
    permission_classes = [agent_with("accounts.view_customer")]

    @extend_schema(
        operation_id="agent_customer_holds_list",
        summary="A customer's holds (agent)",
        responses={200: HoldSerializer(many=True), **problem_responses(401, 403, 404)},
    )
    def get(self, request: Request, customer_number: str) -> Response:
        customer = Customer.objects.filter(customer_number=customer_number).first()
        if customer is None:
            raise Http404("No such customer.")
        security_log_record(
            event_type=EventType.AGENT_LOOKUP,
            actor=Actor.agent(request.user),
            customer=customer,
            origin=Origin.from_request(request),
            details={"viewed": "holds"},
        )
        return Response(HoldSerializer(_holds().filter(account__customer=customer), many=True).data)


class HoldStopSerializer(StrictSerializer):
    reason = serializers.CharField(min_length=5, max_length=500, help_text="What the call-back found")


class AgentHoldStopView(APIView):
    permission_classes = [agent_with("accounts.stop_hold")]

    @extend_schema(
        summary="Stop a held transfer after calling the customer back (agent)",
        request=HoldStopSerializer,
        responses={200: HoldSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, hold_id: int) -> Response:
        data = HoldStopSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            hold = hold_stop(
                agent=request.user,
                hold_id=hold_id,
                reason=data.validated_data["reason"],
                origin=Origin.from_request(request),
            )
        except Hold.DoesNotExist:
            raise Http404("No such hold.") from None
        return Response(HoldSerializer(_holds().get(pk=hold.pk)).data)


class ServiceHoldDetailView(APIView):
    permission_classes = [service_with("holds:read")]

    @extend_schema(
        summary="A hold's state, for the payment core that asked for the authorization",
        responses={
            200: inline_serializer(
                "ServiceHold",
                {
                    "id": serializers.IntegerField(),
                    "transaction_id": serializers.CharField(),
                    "status": serializers.ChoiceField(choices=Hold.Status.choices),
                    "amount": serializers.IntegerField(),
                    "currency": serializers.CharField(),
                    "release_at": serializers.DateTimeField(),
                    "resolved_at": serializers.DateTimeField(allow_null=True),
                },
            ),
            **problem_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, hold_id: int) -> Response:
        hold = _holds().filter(pk=hold_id, client=request.user).first()
        if hold is None:
            raise Http404("No such hold.")
        return Response(
            {
                "id": hold.pk,
                "transaction_id": hold.authorization.transaction_id,
                "status": hold.status,
                "amount": hold.amount,
                "currency": hold.currency,
                "release_at": hold.release_at,
                "resolved_at": hold.resolved_at,
            }
        )
