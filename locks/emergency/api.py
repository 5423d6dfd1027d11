"""The customer's one-tap emergency endpoint (no one-time password: every scenario only tightens)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import request_customer, request_device
from accounts.permissions import IsCustomer
from locks.cases.api import CaseSerializer
from locks.emergency.scenarios import SCENARIOS, Scenario
from locks.emergency.services import EmergencyOutcome, action_sentence, emergency_apply, scenario_parse
from locks.emergency.texts import SCENARIO_NAMES, lift_request, lift_text
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Actor, Origin
from securitycenter.serializers import StrictIntegerField, StrictSerializer


class EmergencyRequestSerializer(StrictSerializer):
    scenario = serializers.CharField(help_text=f"One of {', '.join(s.value for s in Scenario)}")
    card_id = StrictIntegerField(required=False, help_text="The lost card (lost_card only)")

    def validate_scenario(self, value: str) -> Scenario:
        return scenario_parse(value)


class LiftSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="How to lift it, in the customer's language")
    request = serializers.DictField(allow_null=True, help_text="The request that lifts it (method, path, body, otp)")


class EmergencyActionSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text="What was done, in the customer's language")
    accounts = serializers.ListField(child=serializers.IntegerField())
    lift = LiftSerializer()


class EmergencyOutcomeSerializer(serializers.Serializer):
    scenario = serializers.CharField()
    title = serializers.CharField()
    lesson_id = serializers.CharField(help_text="The lesson that fits (GET /api/v1/lessons/{id})")
    actions = EmergencyActionSerializer(many=True)
    case = CaseSerializer(allow_null=True)


def emergency_outcome_data(outcome: EmergencyOutcome) -> dict[str, Any]:
    """The answer's body, in the active language."""
    return EmergencyOutcomeSerializer(
        {
            "scenario": outcome.scenario.value,
            "title": str(SCENARIO_NAMES[outcome.scenario]),
            "lesson_id": outcome.lesson,
            "actions": [
                {
                    "code": a.code,
                    "message": action_sentence(a),
                    "accounts": list(a.accounts),
                    "lift": {
                        "message": lift_text(a.code),
                        "request": lift_request(a.code, accounts=list(a.accounts), channels=list(a.channels)),
                    },
                }
                for a in outcome.actions
            ],
            "case": outcome.case,
        }
    ).data


class ScenarioSerializer(serializers.Serializer):
    scenario = serializers.CharField()
    title = serializers.CharField()
    needs_card = serializers.BooleanField()
    lesson_id = serializers.CharField()


class EmergencyView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="emergency_scenarios_list",
        summary="The emergency scenarios (应急处理)",
        responses={200: ScenarioSerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            ScenarioSerializer(
                [
                    {
                        "scenario": s.value,
                        "title": str(SCENARIO_NAMES[s]),
                        "needs_card": spec.one_card,
                        "lesson_id": spec.lesson,
                    }
                    for s, spec in SCENARIOS.items()
                ],
                many=True,
            ).data
        )

    @extend_schema(
        summary="Apply an emergency scenario at once (no one-time password)",
        description="lost_phone, lost_card (with card_id), suspected_fraud, being_scammed_now. Every action only "
        "tightens; the answer lists what changed and how to lift each part.",
        request=EmergencyRequestSerializer,
        responses={200: EmergencyOutcomeSerializer, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        customer = request_customer(request)
        data = EmergencyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = emergency_apply(
            customer=customer,
            scenario=data.validated_data["scenario"],
            card_id=data.validated_data.get("card_id"),
            actor=Actor.customer(customer),
            origin=Origin.from_request(request),
            keep_device=request_device(request),
        )
        return Response(emergency_outcome_data(outcome))
