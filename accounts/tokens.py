"""Bearer tokens: issue, resolve, revoke. Only the SHA-256 of a token is stored."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import AuthToken, Customer, Device
from securitycenter.crypto import token_hash

# Writing last_used_at on every request would turn each read into a write; a minute's precision is
# plenty for a 15-minute inactivity timeout.
_TOUCH_INTERVAL = timedelta(seconds=60)


class TokenInvalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    raw: str
    token: AuthToken


def auth_token_issue(
    *, customer: Customer | None = None, device: Device | None = None, staff_user: Any = None, ip_address: str | None
) -> IssuedToken:
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    token = AuthToken.objects.create(
        key_hash=token_hash(raw),
        customer=customer,
        device=device,
        staff_user=staff_user,
        last_used_at=now,
        expires_at=now + settings.TOKEN_ABSOLUTE_LIFETIME,
        ip_address=ip_address,
    )
    return IssuedToken(raw=raw, token=token)


def token_idle_timeout(token: AuthToken) -> timedelta:
    """How long `token` may go unused: staff sessions (they can freeze money) lapse sooner than customers'."""
    return settings.TOKEN_IDLE_TIMEOUT if token.customer_id is not None else settings.STAFF_TOKEN_IDLE_TIMEOUT


def auth_token_resolve(*, raw: str, device_id: str | None) -> AuthToken:
    """The live token for `raw`, or TokenInvalid saying why not. Customer tokens need their device."""
    try:
        token = AuthToken.objects.select_related("customer", "device", "staff_user").get(key_hash=token_hash(raw))
    except AuthToken.DoesNotExist:
        raise TokenInvalid("unknown") from None
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenInvalid("revoked")
    if now >= token.expires_at:
        raise TokenInvalid("expired")
    if now - token.last_used_at >= token_idle_timeout(token):
        raise TokenInvalid("idle_timeout")
    if token.customer_id is not None:
        assert token.device is not None and token.customer is not None
        # Compared as bytes: compare_digest refuses str with non-ASCII characters, and a header may hold any.
        if not device_id or not secrets.compare_digest(device_id.encode(), token.device.device_id.encode()):
            raise TokenInvalid("device_mismatch")
        if token.device.revoked_at is not None:
            raise TokenInvalid("device_revoked")
        if not token.customer.is_active:
            raise TokenInvalid("customer_inactive")
    elif token.staff_user is None or not token.staff_user.is_active:
        raise TokenInvalid("staff_inactive")
    if now - token.last_used_at >= _TOUCH_INTERVAL:
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def auth_token_revoke(*, token: AuthToken) -> bool:
    """Revoke a token; True if this call revoked it (False if it already was)."""
    updated = AuthToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return updated == 1
