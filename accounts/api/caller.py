"""Who is calling, as the views need it: the customer behind a request, and the one-time password it carries."""

from collections.abc import Mapping

from rest_framework.request import Request

from accounts.models import AuthToken, Customer, Device


def request_customer(request: Request) -> Customer:
    """The signed-in customer; only for views whose permission is IsCustomer, which guarantees one."""
    assert isinstance(request.user, Customer)
    return request.user


def request_device(request: Request) -> Device | None:
    """The device the customer's token is bound to (the phone in their hand)."""
    token = request.auth
    return token.device if isinstance(token, AuthToken) else None


def otp_code_from_request(request: Request) -> str | None:
    """The one-time password a request carries: the X-OTP header, else the body's `otp` field."""
    header = request.META.get("HTTP_X_OTP", "").strip()
    if header:
        return str(header)
    data = request.data
    value = data.get("otp") if isinstance(data, Mapping) else None
    if value is None or value == "":
        return None
    return value.strip() if isinstance(value, str) else str(value)
