"""The customer's security log (安全日志) and "this wasn't me" (非本人操作)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer, request_device
from accounts.permissions import IsCustomer
from accounts.selectors import customer_account_get
from locks.cases.api import CaseSerializer
from locks.securitylog.entries import CATEGORIES, EntryContext, entry_render
from locks.securitylog.notme import NotMeOutcome, not_me_report_entry, not_me_report_payment
from locks.securitylog.selectors import customer_log_entries, customer_log_entry_get
from locks.securitylog.texts import not_me_action_render
from securitycenter.errors import NotFound
from securitycenter.openapi import problem_responses
from securitycenter.pagination import ordered_pagination
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer, invalid_field


class ActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["you", "customer", "agent", "system", "payment_core"])
    name = serializers.CharField(help_text="Who acted, for people: you, a 95588 agent by staff number, …")


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The setting, as a dotted path (limits.daily, channels.atm)")
    what = serializers.CharField(help_text="The setting, for people")
    old = serializers.CharField()
    new = serializers.CharField()


class SecurityLogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    category = serializers.ChoiceField(choices=list(CATEGORIES))
    event_type = serializers.CharField()
    message = serializers.CharField(help_text="What happened, in the customer's language")
    actor = ActorSerializer()
    device = serializers.CharField(allow_null=True, help_text="The device's name")
    ip = serializers.CharField(allow_null=True, help_text="Masked IP address")
    country = serializers.CharField(allow_null=True)
    account = serializers.CharField(allow_null=True, help_text="Masked account or card number")
    changes = ChangeSerializer(many=True, help_text="Old → new values, for people")
    reportable = serializers.BooleanField(help_text='"This wasn\'t me" applies to this entry')
    reported = serializers.BooleanField()
    lesson_id = serializers.CharField(allow_null=True, help_text="The lesson that fits (GET /api/v1/lessons/{id})")


class LogFilterSerializer(StrictSerializer):
    category = serializers.ChoiceField(choices=list(CATEGORIES), required=False)
    account = serializers.IntegerField(required=False, min_value=1)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.CharField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise invalid_field("until", _("Must be after since."), "invalid_range")
        return attrs


class SecurityLogView(generics.ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = SecurityLogEntrySerializer
    pagination_class = ordered_pagination("-occurred_at", "-id")

    def get_queryset(self) -> Any:
        customer = request_customer(self.request)
        data = LogFilterSerializer(data=self.request.query_params.dict())
        data.is_valid(raise_exception=True)
        filters = data.validated_data
        if "account" in filters:
            try:
                customer_account_get(customer=customer, account_id=filters["account"])
            except NotFound:
                raise NotFound(_("No such account."), field="account") from None
        return customer_log_entries(
            customer=customer,
            category=filters.get("category"),
            account_id=filters.get("account"),
            since=filters.get("since"),
            until=filters.get("until"),
        )

    @extend_schema(
        operation_id="security_log_list",
        summary="My security log, newest first",
        description="Sign-ins, devices, one-time passwords, lock changes, freezes, declines, holds and every act "
        "of a 95588 agent or the system on my accounts. Cursor-paginated (follow `next`).",
        parameters=[
            OpenApiParameter("category", str, enum=list(CATEGORIES), required=False),
            OpenApiParameter("account", int, required=False, description="Only entries about this account"),
            OpenApiParameter("since", str, required=False, description="ISO 8601; entries at or after"),
            OpenApiParameter("until", str, required=False, description="ISO 8601; entries before"),
        ],
        responses={200: SecurityLogEntrySerializer(many=True), **problem_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        context = EntryContext(page, customer_id=request_customer(request).pk)
        return self.get_paginated_response(
            SecurityLogEntrySerializer([entry_render(e, context) for e in page], many=True).data
        )


class SecurityLogEntryView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="One entry of my security log",
        responses={200: SecurityLogEntrySerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        customer = request_customer(request)
        entry = customer_log_entry_get(customer=customer, entry_id=entry_id)
        return Response(
            SecurityLogEntrySerializer(entry_render(entry, EntryContext([entry], customer_id=customer.pk))).data
        )


class UndoSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="How to undo it, in the customer's language")
    request = serializers.DictField(allow_null=True, help_text="The request that undoes it (method, path, otp)")


class NotMeActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    accounts = serializers.ListField(child=serializers.IntegerField())
    undo = UndoSerializer()


class NotMeAnswerSerializer(serializers.Serializer):
    report_id = serializers.IntegerField()
    already_reported = serializers.BooleanField(help_text="True: reported before; nothing was done again")
    entry_kind = serializers.CharField()
    scenario = serializers.CharField(help_text="The emergency scenario applied")
    lesson_id = serializers.CharField()
    actions = NotMeActionSerializer(many=True)
    case = CaseSerializer(allow_null=True)


_LESSON_OF_KIND = {
    "sign_in": "sms_code_requests",
    "new_device": "sms_code_requests",
    "authenticator": "remote_control_apps",
    "lock_change": "screen_sharing",
    "pending_loosening": "screen_sharing",
    "declined_payment": "card_details_phishing",
    "approved_payment": "card_details_phishing",
    "held_payment": "fake_police_safe_account",
}


def not_me_answer(outcome: NotMeOutcome) -> Response:
    report = outcome.report
    return Response(
        NotMeAnswerSerializer(
            {
                "report_id": report.pk,
                "already_reported": outcome.already_reported,
                "entry_kind": report.entry_kind,
                "scenario": report.scenario,
                "lesson_id": _LESSON_OF_KIND.get(report.entry_kind, "fake_bank_call"),
                "actions": [not_me_action_render(a) for a in report.actions],
                "case": report.case,
            }
        ).data
    )


NOT_ME_DESCRIPTION = (
    "Revokes what the entry implicates (the device of a sign-in, an authenticator, a loosening), applies the "
    "fitting emergency scenario, opens an incident for a 95588 call-back and tells the customer on every channel. "
    "No one-time password: all of it tightens. Reporting the same entry again does nothing and returns the first "
    "answer."
)


class NotMeEntryView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="security_log_not_me",
        summary='"This wasn\'t me" on a security-log entry',
        description=NOT_ME_DESCRIPTION,
        request=None,
        responses={200: NotMeAnswerSerializer, **problem_responses(401, 403, 404, 422)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        return not_me_answer(
            not_me_report_entry(
                customer=request_customer(request),
                entry_id=entry_id,
                origin=Origin.from_request(request),
                current_device=request_device(request),
            )
        )


class NotMePaymentView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="payment_not_me",
        summary='"This wasn\'t me" on a payment (by its transaction id, approved, declined or held)',
        description=NOT_ME_DESCRIPTION,
        request=None,
        responses={200: NotMeAnswerSerializer, **problem_responses(401, 403, 404)},
    )
    def post(self, request: Request, transaction_id: str) -> Response:
        return not_me_answer(
            not_me_report_payment(
                customer=request_customer(request),
                transaction_id=transaction_id,
                origin=Origin.from_request(request),
                current_device=request_device(request),
            )
        )
