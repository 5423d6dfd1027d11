"""The 95588 agent endpoints: look-up, service sessions, the customer view, remote freezes, four-eyes lifting,
risk-list proposals and calls. Each view checks the role at the door, validates, calls one service, renders."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import agent_with
from accounts.roles import staff_number
from locks.agents.calls import bank_call_end, bank_call_start
from locks.agents.customer_view import CustomerView, customer_view, phone_masked
from locks.agents.freezes import (
    freeze_lift_approve,
    freeze_lift_reject,
    freeze_lift_request,
    freeze_lift_requests_pending,
    remote_freeze_place,
)
from locks.agents.sessions import (
    LOOKUP_KINDS,
    customer_lookup,
    service_session_close,
    service_session_live,
    service_session_open,
)
from locks.cases.api import CaseSerializer
from locks.emergency.api import EmergencyOutcomeSerializer, EmergencyRequestSerializer, emergency_outcome_data
from locks.emergency.services import emergency_apply
from locks.holds.api import HoldSerializer
from locks.models import BankCall, FreezeLiftRequest, PayeeRiskEntry, RemoteFreeze, RiskEntryProposal, ServiceSession
from locks.risklist.proposals import risk_entry_decide, risk_entry_proposals, risk_entry_propose
from locks.rules.api import AccountsField
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Actor, Origin
from securitycenter.serializers import StrictSerializer, invalid_field


def _origin(request: Request) -> Origin:
    return Origin.from_request(request)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


# --- look-up and sessions ---------------------------------------------------------------------------------


class LookupSerializer(StrictSerializer):
    by = serializers.ChoiceField(choices=LOOKUP_KINDS)
    value = serializers.CharField(max_length=40, help_text="Customer number, E.164 phone, or card/account number")


class LookupResultSerializer(serializers.Serializer):
    customer_number = serializers.CharField()
    name = serializers.CharField(help_text="Family name only, until a service session is open")
    phone = serializers.CharField(help_text="Masked")


class LookupView(APIView):
    permission_classes = [agent_with("accounts.view_customer")]

    @extend_schema(
        summary="Find a caller's customer record (by customer number, phone, or card/account number)",
        description="A card or account number is matched through its blind index. The look-up is logged; "
        "the details need a service session.",
        request=LookupSerializer,
        responses={200: LookupResultSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(LookupSerializer, request)
        customer = customer_lookup(agent=request.user, by=data["by"], value=data["value"], origin=_origin(request))
        return Response(
            LookupResultSerializer(
                {
                    "customer_number": customer.customer_number,
                    "name": customer.name[:1] + "*" * max(0, len(customer.name) - 1),
                    "phone": phone_masked(customer.phone),
                }
            ).data
        )


class SessionOpenSerializer(StrictSerializer):
    customer_number = serializers.CharField(max_length=20)
    verification_method = serializers.ChoiceField(choices=ServiceSession.Verification.choices)
    call_reference = serializers.CharField(max_length=64, help_text="The telephony system's id of this call")
    reason = serializers.CharField(min_length=3, max_length=200, help_text="Why the agent opens the record")


class ServiceSessionSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number")

    class Meta:
        model = ServiceSession
        fields = [
            "id",
            "customer_number",
            "verification_method",
            "call_reference",
            "reason",
            "opened_at",
            "expires_at",
            "closed_at",
        ]


class ServiceSessionsView(APIView):
    permission_classes = [agent_with("accounts.view_customer")]

    @extend_schema(
        summary="Open a service session on a verified caller (bounded lifetime; every read in it is logged)",
        request=SessionOpenSerializer,
        responses={201: ServiceSessionSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        session = service_session_open(
            agent=request.user, origin=_origin(request), **_valid(SessionOpenSerializer, request)
        )
        return Response(ServiceSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class ServiceSessionCloseView(APIView):
    permission_classes = [agent_with("accounts.view_customer")]

    @extend_schema(
        summary="Close a service session (the end of the call)",
        request=None,
        responses={200: ServiceSessionSerializer, **problem_responses(401, 403, 404)},
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = service_session_close(agent=request.user, session_id=session_id, origin=_origin(request))
        return Response(ServiceSessionSerializer(session).data)


# --- the customer view ------------------------------------------------------------------------------------


class AccountViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.pk")
    kind = serializers.CharField(source="account.kind")
    masked_number = serializers.CharField(source="account.masked_number")
    currency = serializers.CharField(source="account.currency")
    status = serializers.CharField(source="account.status")
    locks = serializers.DictField(help_text="The lock-settings document, as the customer's app reads it")


class RemoteFreezeSerializer(serializers.ModelSerializer):
    placed_by = serializers.SerializerMethodField(help_text="The agent's work number")

    class Meta:
        model = RemoteFreeze
        fields = [
            "id",
            "scope",
            "channels",
            "account_ids",
            "reason_code",
            "note",
            "expires_at",
            "status",
            "placed_at",
            "placed_by",
            "ended_at",
            "end_reason",
        ]

    def get_placed_by(self, freeze: RemoteFreeze) -> str:
        return staff_number(freeze.placed_by)


class DeclineSerializer(serializers.Serializer):
    transaction_id = serializers.CharField()
    account = serializers.CharField(source="account.masked_number")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    channel = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class LogEntrySerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    event_type = serializers.CharField()
    actor_type = serializers.CharField()
    actor_id = serializers.CharField()
    details = serializers.DictField()


class CustomerSummarySerializer(serializers.Serializer):
    customer_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.SerializerMethodField()
    language = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)

    def get_phone(self, customer: Any) -> str:
        return phone_masked(customer.phone)


class CustomerViewSerializer(serializers.Serializer):
    session = ServiceSessionSerializer()
    customer = CustomerSummarySerializer()
    accounts = AccountViewSerializer(many=True)
    remote_freezes = RemoteFreezeSerializer(many=True)
    holds = HoldSerializer(many=True)
    recent_declines = DeclineSerializer(many=True)
    security_log = LogEntrySerializer(many=True)
    open_cases = CaseSerializer(many=True)


class CustomerViewView(APIView):
    permission_classes = [agent_with("accounts.view_customer")]

    @extend_schema(
        summary="The caller's accounts and cards (masked), locks and freezes, holds, declines, log and cases",
        description="Only inside the agent's own open service session; the read is security-logged.",
        responses={200: CustomerViewSerializer, **problem_responses(401, 403, 404)},
    )
    def get(self, request: Request, session_id: int) -> Response:
        view: CustomerView = customer_view(agent=request.user, session_id=session_id, origin=_origin(request))
        return Response(CustomerViewSerializer(view).data)


# --- remote freezes ---------------------------------------------------------------------------------------


class RemoteFreezeRequestSerializer(StrictSerializer):
    scope = serializers.ChoiceField(choices=RemoteFreeze.Scope.choices)
    channels = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=20, help_text="For scope channels"
    )
    accounts = AccountsField(help_text='"all" or a list of the customer\'s account and card ids')
    reason_code = serializers.ChoiceField(choices=RemoteFreeze.ReasonCode.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["scope"] == RemoteFreeze.Scope.CHANNELS and not attrs.get("channels"):
            raise invalid_field("channels", "Name the channels to switch off.", "required")
        return attrs


class RemoteFreezesView(APIView):
    permission_classes = [agent_with("accounts.freeze_features")]

    @extend_schema(
        summary="Freeze features for the caller at once (all outgoing, card-not-present, or chosen channels)",
        description="Through the customer's own change path with the agent as actor: effective on the next "
        "authorization. The customer is notified with the agent's work number. Lifting it takes the "
        "customer's OTP, a supervisor's approval of an agent's request, or its expiry.",
        request=RemoteFreezeRequestSerializer,
        responses={201: RemoteFreezeSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = service_session_live(agent=request.user, session_id=session_id)
        data = _valid(RemoteFreezeRequestSerializer, request)
        freeze = remote_freeze_place(
            agent=request.user,
            customer=session.customer,
            session_id=session.pk,
            scope=data["scope"],
            channels=data.get("channels"),
            account_ids=data["accounts"],
            reason_code=data["reason_code"],
            note=data["note"],
            expires_at=data["expires_at"],
            origin=_origin(request),
        )
        return Response(RemoteFreezeSerializer(freeze).data, status=status.HTTP_201_CREATED)


class AgentEmergencyView(APIView):
    permission_classes = [agent_with("accounts.freeze_features")]

    @extend_schema(
        operation_id="agent_emergency_apply",
        summary="Apply an emergency scenario for the caller (ends every session of theirs)",
        request=EmergencyRequestSerializer,
        responses={200: EmergencyOutcomeSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = service_session_live(agent=request.user, session_id=session_id)
        data = _valid(EmergencyRequestSerializer, request)
        outcome = emergency_apply(
            customer=session.customer,
            scenario=data["scenario"],
            card_id=data.get("card_id"),
            actor=Actor.agent(request.user),
            origin=_origin(request),
            source=f"agent:{session.pk}",
        )
        return Response(emergency_outcome_data(outcome))


class LiftRequestCreateSerializer(StrictSerializer):
    reason = serializers.CharField(min_length=3, max_length=500)


class LiftRequestSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="freeze.customer.customer_number")
    requested_by = serializers.SerializerMethodField()
    freeze = RemoteFreezeSerializer()

    class Meta:
        model = FreezeLiftRequest
        fields = ["id", "status", "customer_number", "freeze", "reason", "requested_by", "requested_at", "decided_at"]

    def get_requested_by(self, request: FreezeLiftRequest) -> str:
        return staff_number(request.requested_by)


class LiftRequestCreateView(APIView):
    permission_classes = [agent_with("accounts.unfreeze_features")]

    @extend_schema(
        summary="Ask for a remote freeze to be lifted (a different supervisor decides; nothing loosens yet)",
        request=LiftRequestCreateSerializer,
        responses={201: LiftRequestSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, session_id: int, freeze_id: int) -> Response:
        service_session_live(agent=request.user, session_id=session_id)  # another agent's session: a 404 first
        data = _valid(LiftRequestCreateSerializer, request)
        lift = freeze_lift_request(
            agent=request.user,
            session_id=session_id,
            freeze_id=freeze_id,
            reason=data["reason"],
            origin=_origin(request),
        )
        return Response(LiftRequestSerializer(lift).data, status=status.HTTP_201_CREATED)


class LiftRequestListView(APIView):
    permission_classes = [agent_with("accounts.approve_unfreeze")]

    @extend_schema(
        operation_id="agent_lift_requests_list",
        summary="Requests to lift a freeze, waiting for a supervisor",
        responses={200: LiftRequestSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(LiftRequestSerializer(freeze_lift_requests_pending()[:200], many=True).data)


class DecisionSerializer(StrictSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LiftRequestDecisionView(APIView):
    permission_classes = [agent_with("accounts.approve_unfreeze")]
    approve = True

    def _decide(self, request: Request, request_id: int) -> Response:
        data = _valid(DecisionSerializer, request)
        decide = freeze_lift_approve if self.approve else freeze_lift_reject
        lift = decide(supervisor=request.user, request_id=request_id, note=data["note"], origin=_origin(request))
        lift = FreezeLiftRequest.objects.select_related("freeze__customer", "requested_by").get(pk=lift.pk)
        return Response(LiftRequestSerializer(lift).data)


class LiftRequestApproveView(LiftRequestDecisionView):
    approve = True

    @extend_schema(
        summary="Approve another's request: the freeze is lifted at once (four eyes; never your own)",
        request=DecisionSerializer,
        responses={200: LiftRequestSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, request_id: int) -> Response:
        return self._decide(request, request_id)


class LiftRequestRejectView(LiftRequestDecisionView):
    approve = False

    @extend_schema(
        summary="Reject another's request: the freeze stays",
        request=DecisionSerializer,
        responses={200: LiftRequestSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, request_id: int) -> Response:
        return self._decide(request, request_id)


# --- risk-list proposals -------------------------------------------------------------------------------


class RiskProposalCreateSerializer(StrictSerializer):
    account = serializers.CharField(max_length=40, help_text="The payee's account number (stored only hashed)")
    severity = serializers.ChoiceField(choices=PayeeRiskEntry.Severity.choices)
    # The metaclass moves declared fields out of the class body; only the type checker sees Field.source.
    source = serializers.CharField(max_length=64, required=False, default="95588")  # type: ignore[assignment]
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RiskProposalSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SerializerMethodField()

    class Meta:
        model = RiskEntryProposal
        fields = [
            "id",
            "masked_account",
            "severity",
            "source",
            "note",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_at",
        ]

    def get_proposed_by(self, proposal: RiskEntryProposal) -> str:
        return staff_number(proposal.proposed_by)


class RiskProposalsView(APIView):
    def get_permissions(self) -> list[Any]:
        needed = "accounts.propose_risk_entry" if self.request.method == "POST" else "accounts.manage_risk_list"
        return [agent_with(needed)()]

    @extend_schema(
        operation_id="agent_risk_proposals_list",
        summary="Risk-list proposals waiting for a supervisor",
        responses={200: RiskProposalSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(RiskProposalSerializer(risk_entry_proposals(status="pending")[:200], many=True).data)

    @extend_schema(
        summary="Propose a payee for the risk list (a supervisor other than you approves)",
        request=RiskProposalCreateSerializer,
        responses={201: RiskProposalSerializer, **problem_responses(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(RiskProposalCreateSerializer, request)
        proposal = risk_entry_propose(
            agent=request.user,
            account_number=data["account"],
            severity=data["severity"],
            source=data["source"],
            note=data["note"],
            origin=_origin(request),
        )
        return Response(RiskProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class RiskProposalDecisionView(APIView):
    permission_classes = [agent_with("accounts.manage_risk_list")]
    approve = True

    def _decide(self, request: Request, proposal_id: int) -> Response:
        data = _valid(DecisionSerializer, request)
        proposal = risk_entry_decide(
            supervisor=request.user,
            proposal_id=proposal_id,
            approve=self.approve,
            note=data["note"],
            origin=_origin(request),
        )
        return Response(RiskProposalSerializer(proposal).data)


class RiskProposalApproveView(RiskProposalDecisionView):
    approve = True

    @extend_schema(
        summary="Approve another's proposal: the payee is on the list, and in the hot path within seconds",
        request=DecisionSerializer,
        responses={200: RiskProposalSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        return self._decide(request, proposal_id)


class RiskProposalRejectView(RiskProposalDecisionView):
    approve = False

    @extend_schema(
        summary="Reject another's proposal",
        request=DecisionSerializer,
        responses={200: RiskProposalSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        return self._decide(request, proposal_id)


# --- calls --------------------------------------------------------------------------------------------


class BankCallSerializer(serializers.ModelSerializer):
    agent = serializers.SerializerMethodField(help_text="The agent's work number, shown in the customer's app")
    customer_number = serializers.CharField(source="customer.customer_number")

    class Meta:
        model = BankCall
        fields = ["id", "customer_number", "agent", "spoken_code", "started_at", "ends_at", "ended_at"]

    def get_agent(self, call: BankCall) -> str:
        return staff_number(call.agent)


class SessionCallView(APIView):
    # Calling is acting, not reading: an auditor does not call customers.
    permission_classes = [agent_with("accounts.work_callbacks")]

    @extend_schema(
        summary="Start calling the session's customer: their app shows your work number and the code to say",
        request=None,
        responses={201: BankCallSerializer, **problem_responses(401, 403, 404)},
    )
    def post(self, request: Request, session_id: int) -> Response:
        call = bank_call_start(agent=request.user, session_id=session_id, origin=_origin(request))
        return Response(BankCallSerializer(call).data, status=status.HTTP_201_CREATED)


class CallEndView(APIView):
    permission_classes = [agent_with("accounts.agent_access")]

    @extend_schema(
        summary="End a call: the customer's app says again that the bank is not calling",
        request=None,
        responses={200: BankCallSerializer, **problem_responses(401, 403, 404)},
    )
    def post(self, request: Request, call_id: int) -> Response:
        return Response(
            BankCallSerializer(bank_call_end(agent=request.user, call_id=call_id, origin=_origin(request))).data
        )
