"""Customer endpoints for account safety locks, channel switches, freezes, presets and travel windows.

Each view validates input, calls one service or selector, and renders. Whether a change needs an OTP is
decided by `locks.rules.changes.lock_change`, never here; the OTP travels in `X-OTP` or a body field `otp`.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.accounts import AccountSummarySerializer
from accounts.api.caller import otp_code_from_request, request_customer
from accounts.models import BankAccount, Customer
from accounts.permissions import IsCustomer
from accounts.selectors import customer_account_get, customer_accounts_pick
from locks.decision.policy import CHANNELS, Transaction
from locks.lessons.fit import lesson_for_reasons
from locks.models import PendingLoosening
from locks.rules.changes import ChangeOutcome, Proposal, TravelWindowSpec, lock_change, pending_loosening_cancel
from locks.rules.policies import live_travel_windows
from locks.rules.presets import Preset, preset_proposal
from locks.rules.selectors import account_locks_view, account_would_pass
from locks.rules.serializers import (
    EffectiveLimitsSerializer,
    LockChangesSerializer,
    LockSettingsDocumentSerializer,
    PendingLooseningReadSerializer,
    RegionCodeField,
    TravelWindowReadSerializer,
)
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer, invalid_field

OTP_HEADER = OpenApiParameter(
    "X-OTP",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="One-time password; required only when the change loosens a lock (or send `otp` in the body).",
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": ["all"]},
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 100},
        ]
    }
)
class AccountsField(serializers.Field):
    """`"all"` or a list of account ids."""

    def to_internal_value(self, data: Any) -> list[int] | None:
        if data == "all":
            return None
        if (
            isinstance(data, list)
            and data
            and len(data) <= 100
            and all(isinstance(i, int) and not isinstance(i, bool) for i in data)
        ):
            return list(data)
        raise serializers.ValidationError('Give "all" or a non-empty list of account ids.')

    def to_representation(self, value: Any) -> Any:
        return value


class PendingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    effective_at = serializers.DateTimeField()
    awaiting_contact = serializers.BooleanField(help_text="It also waits for your trusted contact's confirmation")


class LockChangeAccountResultSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(source="account.pk")
    version = serializers.IntegerField()
    applied = serializers.BooleanField(help_text="False: waiting out the loosening delay")
    loosened = serializers.ListField(child=serializers.CharField())
    pending = PendingRefSerializer(allow_null=True)


class LockChangeResultSerializer(serializers.Serializer):
    """What a lock change did, per account; renders `ChangeOutcome`s and documents the answer."""

    accounts = LockChangeAccountResultSerializer(many=True)


CHANGE_RESPONSES: dict[Any, Any] = {
    200: LockChangeResultSerializer,
    202: OpenApiResponse(LockChangeResultSerializer, description="A loosening is waiting out the loosening delay."),
    **problem_responses(400, 401, 403, 404, 409, 429),
}


def _outcomes_response(outcomes: list[ChangeOutcome]) -> Response:
    pending = any(not o.applied for o in outcomes)
    return Response(
        LockChangeResultSerializer({"accounts": outcomes}).data,
        status=status.HTTP_202_ACCEPTED if pending else status.HTTP_200_OK,
    )


def _change(
    request: Request,
    customer: Customer,
    accounts: list[BankAccount],
    proposal: Proposal,
    expected_versions: dict[int, int] | None = None,
) -> Response:
    """Run one change through `lock_change` with the request's origin and OTP, and render the outcome."""
    outcomes = lock_change(
        customer=customer,
        accounts=accounts,
        proposal=proposal,
        origin=Origin.from_request(request),
        otp=otp_code_from_request(request),
        expected_versions=expected_versions,
    )
    return _outcomes_response(outcomes)


class LockPatchSerializer(LockChangesSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you read; a stale one gets 409")
    otp = serializers.CharField(required=False, max_length=12)


class AccountLocksSerializer(LockSettingsDocumentSerializer):
    """The effective locks of an account: its settings document plus what follows from it."""

    account = AccountSummarySerializer()
    version = serializers.IntegerField(help_text="Send it back on a PATCH; a stale one gets 409")
    travel_windows = TravelWindowReadSerializer(many=True)
    pending_loosenings = PendingLooseningReadSerializer(many=True)
    effective_limits = EffectiveLimitsSerializer()
    cooling_off_threshold = serializers.IntegerField(allow_null=True, help_text="Transfers at or above it are held")
    call_back_threshold = serializers.IntegerField(
        allow_null=True,
        help_text="Elderly protection in force (the switch or the customer's age): a transfer to a new payee at or "
        "above it is held until the bank has called back; null when not protected",
    )


class AccountLocksView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="The effective locks of an account",
        description="Region, time, limits, channel switches, freezes, cooling-off, travel windows and "
        "pending loosenings in one read, with the version to send back on a change.",
        responses={200: AccountLocksSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request: Request, account_id: int) -> Response:
        account = customer_account_get(customer=request_customer(request), account_id=account_id)
        return Response(AccountLocksSerializer({"account": account, **account_locks_view(account=account)}).data)

    @extend_schema(
        summary="Change an account's locks",
        description="Send the version you read and the sections to replace (region, time, limits, channels, "
        "freeze, cooling_off). A tightening applies at once; a loosening needs a one-time password and may wait "
        "out the loosening delay (202).",
        parameters=[OTP_HEADER],
        request=LockPatchSerializer,
        responses=CHANGE_RESPONSES,
    )
    def patch(self, request: Request, account_id: int) -> Response:
        customer = request_customer(request)
        account = customer_account_get(customer=customer, account_id=account_id)
        data = LockPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k not in ("version", "otp")}
        return _change(
            request,
            customer,
            [account],
            Proposal(changes=changes),
            expected_versions={account.pk: data.validated_data["version"]},
        )


class ApplyToAccountsSerializer(StrictSerializer):
    accounts = AccountsField(help_text='"all" or a list of account ids')
    changes = LockChangesSerializer()
    otp = serializers.CharField(required=False, max_length=12)


class LocksApplyView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Apply the same lock change to several (or all) of my accounts",
        description="All or nothing. Each account keeps its own settings for the sections not named.",
        parameters=[OTP_HEADER],
        request=ApplyToAccountsSerializer,
        responses=CHANGE_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        customer = request_customer(request)
        data = ApplyToAccountsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accounts = customer_accounts_pick(customer=customer, account_ids=data.validated_data["accounts"])
        return _change(request, customer, accounts, Proposal(changes=data.validated_data["changes"]))


class FreezeCommandSerializer(StrictSerializer):
    scope = serializers.ChoiceField(
        choices=["card_not_present", "all_outgoing"],
        help_text="card_not_present: online and quick payments; all_outgoing: every payment",
    )
    accounts = AccountsField(help_text='"all" or a list of account ids')
    otp = serializers.CharField(required=False, max_length=12)


def _freeze_change(request: Request, *, freeze: bool) -> Response:
    customer = request_customer(request)
    data = FreezeCommandSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    accounts = customer_accounts_pick(customer=customer, account_ids=data.validated_data["accounts"])
    proposal = Proposal(
        changes={"freeze": {data.validated_data["scope"]: freeze}},
        event_type=EventType.FREEZE_PLACED if freeze else EventType.FREEZE_LIFTED,
    )
    return _change(request, customer, accounts, proposal)


class FreezeView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="One-tap freeze of card-not-present or all outgoing payments (immediate, no OTP)",
        request=FreezeCommandSerializer,
        responses=CHANGE_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        return _freeze_change(request, freeze=True)


class UnfreezeView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Lift a freeze (a loosening: needs a one-time password)",
        request=FreezeCommandSerializer,
        parameters=[OTP_HEADER],
        responses=CHANGE_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        return _freeze_change(request, freeze=False)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class TravelWindowSerializer(StrictSerializer):
    regions = serializers.ListField(child=RegionCodeField(), min_length=1, max_length=50)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts_at, ends_at = _aware(attrs["starts_at"]), _aware(attrs["ends_at"])
        if ends_at <= starts_at:
            raise invalid_field("ends_at", "Must be after starts_at.", "invalid_range")
        if ends_at <= timezone.now():
            raise invalid_field("ends_at", "Must be in the future.", "in_the_past")
        if ends_at - starts_at > timedelta(days=settings.TRAVEL_WINDOW_MAX_DAYS):
            raise invalid_field("ends_at", f"A travel window lasts at most {settings.TRAVEL_WINDOW_MAX_DAYS} days.")
        return {"regions": sorted(set(attrs["regions"])), "starts_at": starts_at, "ends_at": ends_at}


class TravelWindowCreateSerializer(TravelWindowSerializer):
    otp = serializers.CharField(required=False, max_length=12)


class TravelWindowsView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Add a travel window (a temporary region allowance; needs a one-time password)",
        request=TravelWindowCreateSerializer,
        parameters=[OTP_HEADER],
        responses=CHANGE_RESPONSES,
    )
    def post(self, request: Request, account_id: int) -> Response:
        customer = request_customer(request)
        account = customer_account_get(customer=customer, account_id=account_id)
        data = TravelWindowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return _change(
            request,
            customer,
            [account],
            Proposal(
                travel_add=TravelWindowSpec(regions=v["regions"], starts_at=v["starts_at"], ends_at=v["ends_at"]),
                event_type=EventType.TRAVEL_WINDOW_ADDED,
            ),
        )


class TravelWindowDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(summary="End a travel window now (a tightening)", responses=CHANGE_RESPONSES)
    def delete(self, request: Request, account_id: int, window_id: int) -> Response:
        customer = request_customer(request)
        account = customer_account_get(customer=customer, account_id=account_id)
        # A window that lapsed or was ended is as absent as one that never existed.
        if not live_travel_windows(account.pk).filter(pk=window_id).exists():
            raise Http404("No such active travel window.")
        proposal = Proposal(travel_cancel=(window_id,), event_type=EventType.TRAVEL_WINDOW_REMOVED)
        return _change(request, customer, [account], proposal)


class PresetSerializer(StrictSerializer):
    preset = serializers.ChoiceField(choices=[p.value for p in Preset])
    accounts = AccountsField(help_text='"all" or a list of account ids')
    country = RegionCodeField(required=False, help_text="student_abroad: the country of study")
    regions = serializers.ListField(child=RegionCodeField(), required=False, min_length=1, max_length=50)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    otp = serializers.CharField(required=False, max_length=12)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        preset = Preset(attrs["preset"])
        if preset is Preset.TRAVEL_MODE:
            for name in ("regions", "starts_at", "ends_at"):
                if name not in attrs:
                    raise invalid_field(name, "Required for travel_mode.", "required")
            window = TravelWindowSerializer(
                data={
                    k: attrs[k].isoformat() if k != "regions" else attrs[k] for k in ("regions", "starts_at", "ends_at")
                }
            )
            window.is_valid(raise_exception=True)
            attrs.update(window.validated_data)
        if preset is Preset.STUDENT_ABROAD:
            country = attrs.get("country")
            if not country or "-" in country:
                raise invalid_field("country", "Give the ISO 3166-1 alpha-2 country of study.", "required")
        return attrs


class PresetView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Apply a preset: night protection, travel mode, elderly protection, student abroad",
        request=PresetSerializer,
        parameters=[OTP_HEADER],
        responses=CHANGE_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        customer = request_customer(request)
        data = PresetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        accounts = customer_accounts_pick(customer=customer, account_ids=v["accounts"])
        proposal = preset_proposal(
            Preset(v["preset"]),
            country=v.get("country"),
            regions=v.get("regions"),
            starts_at=v.get("starts_at"),
            ends_at=v.get("ends_at"),
        )
        return _change(request, customer, accounts, proposal)


class PendingLooseningCancelView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Cancel a loosening that is waiting out the delay",
        request=None,
        responses={204: None, **problem_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pending_id: int) -> Response:
        try:
            pending_loosening_cancel(
                customer=request_customer(request), pending_id=pending_id, origin=Origin.from_request(request)
            )
        except PendingLoosening.DoesNotExist:
            raise Http404("No such pending change.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class WouldPassSerializer(StrictSerializer):
    amount = serializers.IntegerField(min_value=1, max_value=10**15, help_text="Minor units (fen)")
    currency = serializers.CharField(min_length=3, max_length=3)
    channel = serializers.ChoiceField(choices=list(CHANNELS))
    country = RegionCodeField()
    subdivision = RegionCodeField(required=False)
    at = serializers.DateTimeField(required=False, help_text="When; default now")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "-" in attrs["country"]:
            raise invalid_field("country", "Give an ISO 3166-1 alpha-2 country; put the province in subdivision.")
        sub = attrs.get("subdivision")
        if sub is not None and not sub.startswith(attrs["country"] + "-"):
            raise invalid_field("subdivision", f"Must be a subdivision of {attrs['country']}.")
        return attrs


class WouldPassView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Would this payment pass my locks?",
        description="Describe a payment (amount, channel, where, when) and get the decision the payment core "
        "would get from the locks, with every reason in zh-Hans and en.",
        request=WouldPassSerializer,
        responses={
            200: inline_serializer(
                "WouldPassResult",
                {
                    "decision": serializers.ChoiceField(choices=["approve", "decline", "hold", "review"]),
                    "reasons": serializers.ListField(child=serializers.DictField()),
                    "lesson_id": serializers.CharField(
                        allow_null=True, help_text="The lesson that fits a refusal (GET /api/v1/lessons/{id})"
                    ),
                },
            ),
            **problem_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = customer_account_get(customer=request_customer(request), account_id=account_id)
        data = WouldPassSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        txn = Transaction(
            transaction_id="would-pass",
            account_id=account.pk,
            amount=v["amount"],
            currency=v["currency"].upper(),
            channel=v["channel"],
            country=v["country"],
            subdivision=v.get("subdivision"),
            initiated_at=_aware(v.get("at") or timezone.now()).timestamp(),
        )
        decision = account_would_pass(account=account, txn=txn)
        return Response(
            {
                "decision": decision.outcome,
                "reasons": decision.messages(),
                "lesson_id": lesson_for_reasons(decision.reasons),
            }
        )
