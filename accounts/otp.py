"""One-time passwords: TOTP authenticators, SMS codes, the throttle they share, and step-up.

Every check of a code runs under the customer's `OtpThrottle` row, locked FOR UPDATE before the code is
looked at: parallel guesses queue behind each other, and once a lock-out starts the guesses still queued
are refused without being evaluated. The checking transaction is durable, so a failure is committed
before its error is raised. That is also why callers must check a code *outside* their own
`transaction.atomic()`: a failure rolled back with the caller's transaction would be a free guess, and
Django refuses the nesting (RuntimeError) rather than let that happen silently.
"""

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pyotp
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.lockouts import lockout_duration
from accounts.models import Customer, Notification, OtpDevice, OtpThrottle, SmsCode
from accounts.notifications.queue import notification_queue
from securitycenter.errors import Conflict, DomainError, InvalidInput, NotFound, NotPermitted, TooManyAttempts
from securitycenter.rows import row_for_update
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

TOTP_DIGITS = 6
TOTP_INTERVAL = 30
# One step either side: a phone clock up to ~30 s off, or a code typed just as it rolled over.
TOTP_DRIFT_STEPS = 1
TOTP_DIGESTS: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}
# A device nobody confirmed within this time was abandoned half-way; it never counts for step-up.
UNCONFIRMED_DEVICE_LIFETIME = timedelta(minutes=10)
MAX_DEVICES_PER_CUSTOMER = 5
SMS_RESEND_INTERVAL = timedelta(seconds=60)
SMS_HOURLY_LIMIT = 5

_CODE_FORMAT = re.compile(r"[0-9]{6}")
_SMS_HASH_PURPOSE = b"accounts.otp.sms_code"

T = TypeVar("T")


class OtpLocked(TooManyAttempts):
    default_code = "otp_locked"
    default_detail = "Too many wrong one-time passwords. Try again later."


class SmsCodeRateLimited(TooManyAttempts):
    default_code = "sms_rate_limited"
    default_detail = "A code was sent recently. Wait before asking for another one."


# --- TOTP arithmetic (RFC 6238) ---------------------------------------------------------------------


def totp_step(at: datetime) -> int:
    """The RFC 6238 time step `at` falls in."""
    return math.floor(at.timestamp()) // TOTP_INTERVAL


def totp_code(*, secret: str, step: int, digits: int = TOTP_DIGITS, digest: str = "sha1") -> str:
    """The code of base32 `secret` at time step `step`."""
    return pyotp.TOTP(secret, digits=digits, digest=TOTP_DIGESTS[digest], interval=TOTP_INTERVAL).generate_otp(step)


def totp_match_step(*, secret: str, code: str, at: datetime) -> int | None:
    """The newest step within the drift window around `at` whose code is `code`, or None.

    The caller needs the step, not a yes/no: the replay guard refuses any step already accepted.
    """
    current = totp_step(at)
    matched = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        # Every step is compared, so the time taken does not depend on which one matched.
        if hmac.compare_digest(totp_code(secret=secret, step=step).encode(), code.encode()):
            matched = step
    return matched


def totp_provisioning_uri(*, secret: str, name: str, issuer: str | None = None) -> str:
    """The otpauth:// URI an authenticator app scans; it carries the secret, so it is shown once."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=name, issuer_name=issuer or settings.OTP_ISSUER
    )


# --- SMS code hashing ---------------------------------------------------------------------------------


def _sms_code_hash(code: str, *, salt: str) -> str:
    # Keyed, so a copy of the table alone cannot be brute-forced over the million possible codes; and
    # fast, because it runs on every verification.
    key = hmac.new(settings.SECRET_KEY.encode(), _SMS_HASH_PURPOSE, hashlib.sha256).digest()
    return f"{salt}${hmac.new(key, f'{salt}:{code}'.encode(), hashlib.sha256).hexdigest()}"


def _sms_code_matches(sms_code: SmsCode, code: str) -> bool:
    salt, _, _ = sms_code.code_hash.partition("$")
    return hmac.compare_digest(_sms_code_hash(code, salt=salt).encode(), sms_code.code_hash.encode())


# --- Selectors -----------------------------------------------------------------------------------------


def otp_device_list(*, customer: Customer) -> QuerySet[OtpDevice]:
    """The customer's confirmed devices and the ones still waiting for confirmation."""
    cutoff = timezone.now() - UNCONFIRMED_DEVICE_LIFETIME
    return (
        OtpDevice.objects.filter(customer=customer)
        .filter(Q(confirmed_at__isnull=False) | Q(created_at__gt=cutoff))
        .defer("secret")
        .order_by("id")
    )


def otp_device_get(*, customer: Customer, device_id: int) -> OtpDevice:
    """One of the customer's own devices; another customer's device is as absent as a missing one."""
    device = OtpDevice.objects.filter(customer=customer, pk=device_id).defer("secret").first()
    if device is None:
        raise NotFound("No such one-time password device.")
    return device


# --- The checking core -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OtpMatch:
    """Which method a code belongs to: a TOTP device at a step, or an SMS code."""

    method: str
    device: OtpDevice | None = None
    step: int | None = None
    sms_code: SmsCode | None = None

    def log_details(self) -> dict[str, Any]:
        if self.device is not None:
            return {"method": self.method, "device_id": self.device.pk, "step": self.step}
        assert self.sms_code is not None
        return {"method": self.method, "sms_code_id": self.sms_code.pk}


@dataclass(frozen=True)
class _Candidates:
    devices: list[OtpDevice]
    sms_code: SmsCode | None = None


def _code_checked(code: str | None, *, field: str) -> str:
    if code is None or not code.strip():
        raise NotPermitted("This request needs a one-time password.", code="otp_required", field=field)
    code = code.strip()
    if not _CODE_FORMAT.fullmatch(code):
        # Not counted as a failure: a code that cannot match teaches a guesser nothing.
        raise InvalidInput("A one-time password is 6 digits.", code="otp_invalid", field=field)
    return code


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None or moment <= now:
        return 0
    return math.ceil((moment - now).total_seconds())


def _lockout_length(failures: int) -> timedelta:
    # Doubles with every failure past the limit.
    return lockout_duration(base=settings.OTP_LOCKOUT_BASE, doublings=failures - settings.OTP_MAX_FAILURES)


def _throttle_lock(customer: Customer) -> OtpThrottle:
    return row_for_update(OtpThrottle, customer=customer)


def _step_up_candidates(customer: Customer, now: datetime) -> _Candidates:
    devices = list(
        OtpDevice.objects.select_for_update().filter(customer=customer, confirmed_at__isnull=False).order_by("id")
    )
    # Only the newest SMS code counts: asking for a new one retires the old, so a guesser never has
    # several codes to hit at once.
    sms_code = (
        SmsCode.objects.select_for_update()
        .filter(customer=customer, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    return _Candidates(devices=devices, sms_code=sms_code)


def _evaluate(code: str, candidates: _Candidates, now: datetime) -> tuple[OtpMatch | None, OtpMatch | None]:
    """(the method `code` passes, the method it is a replay of); either may be None."""
    accepted: OtpMatch | None = None
    replayed: OtpMatch | None = None
    for device in candidates.devices:
        step = totp_match_step(secret=device.secret, code=code, at=now)
        if step is None:
            continue
        match = OtpMatch(method="totp", device=device, step=step)
        if device.last_accepted_step is not None and step <= device.last_accepted_step:
            replayed = replayed or match
        elif accepted is None:
            accepted = match
    sms_code = candidates.sms_code
    if sms_code is not None and _sms_code_matches(sms_code, code):
        match = OtpMatch(method="sms", sms_code=sms_code)
        if sms_code.used_at is not None:
            replayed = replayed or match
        elif accepted is None:
            accepted = match
    return accepted, replayed


def _consume(match: OtpMatch, now: datetime) -> None:
    if match.device is not None:
        match.device.last_accepted_step = match.step
        match.device.last_used_at = now
        match.device.save(update_fields=["last_accepted_step", "last_used_at"])
    if match.sms_code is not None:
        match.sms_code.used_at = now
        match.sms_code.save(update_fields=["used_at"])


def _failure_record(
    *,
    throttle: OtpThrottle,
    customer: Customer,
    origin: Origin,
    now: datetime,
    replayed: OtpMatch | None,
) -> None:
    throttle.failures += 1
    actor = Actor.customer(customer)
    if replayed is not None:
        details = {"failures": throttle.failures, **replayed.log_details()}
        security_log_record(
            event_type=EventType.OTP_REPLAYED, actor=actor, customer=customer, origin=origin, details=details
        )
    else:
        security_log_record(
            event_type=EventType.OTP_FAILED,
            actor=actor,
            customer=customer,
            origin=origin,
            details={"failures": throttle.failures},
        )
    if throttle.failures >= settings.OTP_MAX_FAILURES:
        lockout = _lockout_length(throttle.failures)
        throttle.locked_until = now + lockout
        security_log_record(
            event_type=EventType.OTP_LOCKED_OUT,
            actor=actor,
            customer=customer,
            origin=origin,
            details={
                "failures": throttle.failures,
                "lockout_seconds": int(lockout.total_seconds()),
                "locked_until": throttle.locked_until,
            },
        )
    throttle.save(update_fields=["failures", "locked_until"])


def _otp_attempt(
    *,
    customer: Customer,
    code: str,
    origin: Origin,
    field: str,
    candidates: Callable[[datetime], _Candidates],
    on_accept: Callable[[OtpMatch, datetime], T],
    refusal_kind: type[DomainError] = NotPermitted,
) -> T:
    """Check `code` under the customer's throttle; on success consume it and run `on_accept` in the
    same transaction, on failure commit the failure and then raise."""
    refusal: DomainError
    with transaction.atomic(durable=True):
        throttle = _throttle_lock(customer)
        # Read the clock once the lock is ours: the wait behind parallel attempts may have been long.
        now = timezone.now()
        retry_after = _seconds_until(throttle.locked_until, now)
        if retry_after:
            refusal = OtpLocked(retry_after=retry_after)
        else:
            accepted, replayed = _evaluate(code, candidates(now), now)
            if accepted is not None:
                _consume(accepted, now)
                if throttle.failures or throttle.locked_until is not None:
                    throttle.failures = 0
                    throttle.locked_until = None
                    throttle.save(update_fields=["failures", "locked_until"])
                return on_accept(accepted, now)
            _failure_record(throttle=throttle, customer=customer, origin=origin, now=now, replayed=replayed)
            refusal = refusal_kind(
                "The one-time password is wrong, expired or already used.", code="otp_invalid", field=field
            )
    raise refusal


def _verified_log(customer: Customer, origin: Origin, match: OtpMatch) -> None:
    security_log_record(
        event_type=EventType.OTP_VERIFIED,
        actor=Actor.customer(customer),
        customer=customer,
        origin=origin,
        details=match.log_details(),
    )


# --- Services ------------------------------------------------------------------------------------------


def otp_step_up_verify(*, customer: Customer, code: str | None, origin: Origin, field: str = "otp") -> None:
    """Prove this request carries a valid one-time password of `customer`, and use it up.

    Accepts a code of any confirmed TOTP device or the outstanding SMS code. Call it before (outside)
    the transaction of the act it protects. Raises 403 `otp_required` when `code` is missing, 400/403
    `otp_invalid` when it is malformed/wrong/replayed, 429 `otp_locked` while the customer is locked out.
    """
    checked = _code_checked(code, field=field)

    def verified(match: OtpMatch, now: datetime) -> None:
        _verified_log(customer, origin, match)

    _otp_attempt(
        customer=customer,
        code=checked,
        origin=origin,
        field=field,
        candidates=lambda now: _step_up_candidates(customer, now),
        on_accept=verified,
    )


@dataclass(frozen=True)
class EnrolledOtpDevice:
    device: OtpDevice
    # Carries the secret: shown to the customer once, in the enrolment response, and never again.
    otpauth_uri: str


def otp_device_enroll(*, customer: Customer, name: str, otp: str | None, origin: Origin) -> EnrolledOtpDevice:
    """Start enrolling a TOTP authenticator; it counts only once confirmed with its first code.

    A new authenticator is a new way to pass step-up, so adding one needs a one-time password from a
    method the customer already has (an SMS code for the first authenticator). Otherwise a stolen
    session could enrol its own authenticator and loosen every lock without the customer's phone.
    """
    checked = _code_checked(otp, field="otp")
    secret = pyotp.random_base32()

    def enroll(match: OtpMatch, now: datetime) -> OtpDevice:
        _verified_log(customer, origin, match)
        OtpDevice.objects.filter(
            customer=customer, confirmed_at__isnull=True, created_at__lte=now - UNCONFIRMED_DEVICE_LIFETIME
        ).delete()
        if OtpDevice.objects.filter(customer=customer).count() >= MAX_DEVICES_PER_CUSTOMER:
            raise Conflict(
                f"At most {MAX_DEVICES_PER_CUSTOMER} authenticators per customer. Remove one first.",
                code="otp_device_limit",
            )
        device = OtpDevice.objects.create(customer=customer, name=name, secret=secret)
        security_log_record(
            event_type=EventType.OTP_DEVICE_ENROLLED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"device_id": device.pk, "name": name},
        )
        return device

    device = _otp_attempt(
        customer=customer,
        code=checked,
        origin=origin,
        field="otp",
        candidates=lambda now: _step_up_candidates(customer, now),
        on_accept=enroll,
    )
    return EnrolledOtpDevice(
        device=device, otpauth_uri=totp_provisioning_uri(secret=secret, name=customer.customer_number)
    )


def otp_device_confirm(*, customer: Customer, device_id: int, code: str, origin: Origin) -> OtpDevice:
    """Confirm a pending authenticator with its first code; from then on it counts for step-up."""
    checked = _code_checked(code, field="code")
    device = otp_device_get(customer=customer, device_id=device_id)

    def pending(now: datetime) -> _Candidates:
        locked = OtpDevice.objects.select_for_update().filter(pk=device.pk).first()
        if locked is None:
            raise NotFound("No such one-time password device.")
        if locked.confirmed_at is not None:
            raise Conflict("This authenticator is already confirmed.", code="otp_device_already_confirmed")
        if locked.created_at <= now - UNCONFIRMED_DEVICE_LIFETIME:
            raise Conflict(
                "This enrolment expired before it was confirmed. Remove it and enrol again.",
                code="otp_device_expired",
            )
        return _Candidates(devices=[locked])

    def confirm(match: OtpMatch, now: datetime) -> OtpDevice:
        confirmed = match.device
        assert confirmed is not None
        confirmed.confirmed_at = now
        confirmed.save(update_fields=["confirmed_at"])
        security_log_record(
            event_type=EventType.OTP_DEVICE_CONFIRMED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"device_id": confirmed.pk, "name": confirmed.name},
        )
        # Push and SMS: if a stolen session did this, the SMS still reaches the customer's own phone.
        notification_queue(
            customer=customer,
            template="otp_device_added",
            params={"device_name": confirmed.name},
            channels=[Notification.Channel.PUSH, Notification.Channel.SMS],
        )
        return confirmed

    return _otp_attempt(
        customer=customer,
        code=checked,
        origin=origin,
        field="code",
        candidates=pending,
        on_accept=confirm,
        refusal_kind=InvalidInput,
    )


def otp_device_remove(*, customer: Customer, device_id: int, code: str | None, origin: Origin) -> None:
    """Remove an authenticator, proven with a current one-time password of any confirmed method."""
    checked = _code_checked(code, field="code")
    # Another customer's device is a 404 before any code is evaluated or counted.
    device = otp_device_get(customer=customer, device_id=device_id)

    def remove(match: OtpMatch, now: datetime) -> None:
        _verified_log(customer, origin, match)
        deleted, _ = OtpDevice.objects.filter(pk=device.pk).delete()
        if not deleted:
            return
        security_log_record(
            event_type=EventType.OTP_DEVICE_REMOVED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"device_id": device.pk, "name": device.name, "was_confirmed": device.confirmed_at is not None},
        )
        if device.confirmed_at is not None:
            notification_queue(
                customer=customer,
                template="otp_device_removed",
                params={"device_name": device.name},
                channels=[Notification.Channel.PUSH, Notification.Channel.SMS],
            )

    _otp_attempt(
        customer=customer,
        code=checked,
        origin=origin,
        field="code",
        candidates=lambda now: _step_up_candidates(customer, now),
        on_accept=remove,
    )


@transaction.atomic
def otp_device_disown(*, customer: Customer, device_id: int, actor: Actor, origin: Origin) -> bool:
    """Remove an authenticator the customer says they never added ("this wasn't me"): no code is asked, since
    removing somebody else's factor only makes the account safer. False if it is already gone."""
    device = OtpDevice.objects.select_for_update().filter(customer=customer, pk=device_id).first()
    if device is None:
        return False
    device.delete()
    security_log_record(
        event_type=EventType.OTP_DEVICE_REMOVED,
        actor=actor,
        customer=customer,
        origin=origin,
        details={"device_id": device_id, "name": device.name, "reason": "not_me"},
    )
    return True


def _sms_send_retry_after(*, customer: Customer, now: datetime) -> int:
    recent = list(
        SmsCode.objects.filter(customer=customer, created_at__gt=now - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:SMS_HOURLY_LIMIT]
    )
    if not recent:
        return 0
    wait = _seconds_until(recent[0] + SMS_RESEND_INTERVAL, now)
    if len(recent) >= SMS_HOURLY_LIMIT:
        wait = max(wait, _seconds_until(recent[-1] + timedelta(hours=1), now))
    return wait


@transaction.atomic
def sms_code_send(*, customer: Customer, origin: Origin) -> SmsCode:
    """Text the customer a fresh one-time code; it replaces any code sent before."""
    now = timezone.now()
    # The throttle row doubles as the customer's mutex: two parallel requests cannot both pass the
    # send limit, and nobody is sent a code they could not use while locked out.
    throttle = _throttle_lock(customer)
    retry_after = _seconds_until(throttle.locked_until, now)
    if retry_after:
        raise OtpLocked(retry_after=retry_after)
    retry_after = _sms_send_retry_after(customer=customer, now=now)
    if retry_after:
        raise SmsCodeRateLimited(retry_after=retry_after)
    code = f"{secrets.randbelow(10**TOTP_DIGITS):0{TOTP_DIGITS}d}"
    lifetime = settings.SMS_CODE_LIFETIME
    sms_code = SmsCode.objects.create(
        customer=customer, code_hash=_sms_code_hash(code, salt=secrets.token_hex(8)), expires_at=now + lifetime
    )
    notification_queue(
        customer=customer,
        template="otp_sms_code",
        params={"code": code, "minutes": int(lifetime.total_seconds() // 60)},
        channels=[Notification.Channel.SMS],
    )
    security_log_record(
        event_type=EventType.SMS_CODE_SENT,
        actor=Actor.customer(customer),
        customer=customer,
        origin=origin,
        details={"sms_code_id": sms_code.pk, "expires_at": sms_code.expires_at},
    )
    return sms_code
