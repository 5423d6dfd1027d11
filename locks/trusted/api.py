"""Trusted-contact endpoints: the customer names, verifies and removes their contact; the contact answers a
request with the token they were sent (and nothing else: the token is their only credential)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.caller import otp_code_from_request, request_customer
from accounts.otp import otp_step_up_verify
from accounts.permissions import IsCustomer
from locks.models import ContactConfirmation, TrustedContact
from locks.trusted.services import (
    confirmation_decide,
    trusted_contact_name,
    trusted_contact_remove,
    trusted_contact_verify,
)
from securitycenter.openapi import problem_responses
from securitycenter.securitylog.record import Origin
from securitycenter.serializers import StrictSerializer


def _masked_phone(phone: str) -> str:
    return f"{phone[:5]}****{phone[-4:]}" if len(phone) > 8 else "****"


class TrustedContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["customer", "phone"])
    phone = serializers.CharField(allow_null=True, help_text="Masked; null for a contact who is a customer")
    verified = serializers.BooleanField()
    verified_at = serializers.DateTimeField(allow_null=True)


class TrustedContactStateSerializer(serializers.Serializer):
    contact = TrustedContactSerializer(allow_null=True)


def _contact_data(contact: TrustedContact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "kind": "customer" if contact.contact_customer_id else "phone",
        "phone": _masked_phone(contact.phone) if contact.phone else None,
        "verified": contact.verified_at is not None,
        "verified_at": contact.verified_at,
    }


class TrustedContactNameSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.RegexField(r"^\+[1-9][0-9]{6,14}$", required=False, help_text="E.164")
    customer_number = serializers.CharField(max_length=20, required=False)


class TrustedContactVerifySerializer(StrictSerializer):
    code = serializers.RegexField(r"^[0-9]{6}$", help_text="The code your contact received")


class TrustedContactRemovedSerializer(serializers.Serializer):
    removed = serializers.BooleanField(help_text="False: it waits for your verified contact to confirm")


class TrustedContactView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="My trusted contact (null if I have named none)",
        responses={200: TrustedContactStateSerializer, **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        contact = TrustedContact.objects.filter(customer=request_customer(request)).first()
        state = {"contact": _contact_data(contact) if contact is not None else None}
        return Response(TrustedContactStateSerializer(state).data)

    @extend_schema(
        summary="Name a trusted contact (another customer or a phone number); a code is sent to them",
        request=TrustedContactNameSerializer,
        responses={201: TrustedContactSerializer, **problem_responses(400, 401, 403, 409, 422)},
    )
    def put(self, request: Request) -> Response:
        data = TrustedContactNameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = trusted_contact_name(
            customer=request_customer(request),
            name=data.validated_data["name"],
            phone=data.validated_data.get("phone", ""),
            customer_number=data.validated_data.get("customer_number", ""),
            origin=Origin.from_request(request),
        )
        return Response(TrustedContactSerializer(_contact_data(contact)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove my trusted contact (a loosening: one-time password in X-OTP; a verified contact confirms)",
        request=None,
        responses={
            200: TrustedContactRemovedSerializer,
            202: TrustedContactRemovedSerializer,
            **problem_responses(400, 401, 403, 404, 429),
        },
    )
    def delete(self, request: Request) -> Response:
        customer = request_customer(request)
        otp_step_up_verify(customer=customer, code=otp_code_from_request(request), origin=Origin.from_request(request))
        confirmation = trusted_contact_remove(customer=customer, origin=Origin.from_request(request))
        if confirmation is None:
            return Response(TrustedContactRemovedSerializer({"removed": True}).data)
        return Response(TrustedContactRemovedSerializer({"removed": False}).data, status=status.HTTP_202_ACCEPTED)


class TrustedContactVerifyView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        summary="Verify my trusted contact with the code they received (once)",
        request=TrustedContactVerifySerializer,
        responses={200: TrustedContactSerializer, **problem_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = TrustedContactVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = trusted_contact_verify(
            customer=request_customer(request), code=data.validated_data["code"], origin=Origin.from_request(request)
        )
        return Response(TrustedContactSerializer(_contact_data(contact)).data)


class ConfirmationDecisionSerializer(StrictSerializer):
    answer = serializers.ChoiceField(choices=["confirm", "refuse"])


class ConfirmationAnswerSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ContactConfirmation.Action.choices)
    status = serializers.ChoiceField(choices=ContactConfirmation.Status.choices)
    summary = serializers.ListField(child=serializers.CharField())


class TrustedConfirmationView(APIView):
    """The contact's answer. No sign-in: the contact may not be a customer at all, and the unguessable token
    in the path, sent to the contact alone, is good for this one request and nothing else."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Answer a customer's request as their trusted contact (the token is the credential)",
        request=ConfirmationDecisionSerializer,
        responses={200: ConfirmationAnswerSerializer, **problem_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, token: str) -> Response:
        data = ConfirmationDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        confirmation = confirmation_decide(
            token=token, confirm=data.validated_data["answer"] == "confirm", origin=Origin.from_request(request)
        )
        return Response(ConfirmationAnswerSerializer(confirmation).data)
