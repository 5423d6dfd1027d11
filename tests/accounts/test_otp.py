"""One-time passwords: RFC 6238 vectors, drift, replay, the shared throttle, SMS codes, step-up, devices."""

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import otp
from accounts.lockouts import LOCKOUT_CAP
from accounts.models import Notification, OtpDevice, OtpThrottle, SmsCode
from accounts.otp import (
    otp_device_confirm,
    otp_device_enroll,
    otp_device_list,
    otp_device_remove,
    otp_step_up_verify,
    sms_code_send,
    totp_code,
    totp_match_step,
    totp_step,
)
from securitycenter.errors import DomainError, NotFound
from securitycenter.problems import problem_status
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import CustomerFactory, OtpDeviceFactory

ORIGIN = Origin(ip_address="203.0.113.7", device="device-test")
# 10 seconds into a time step, so "the current step" is unambiguous.
T0 = datetime(2025, 3, 1, 8, 0, 10, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock(T0)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def evaluations(monkeypatch):
    """How many times a TOTP code was compared against a device."""
    calls = []
    real = otp.totp_match_step

    def counting(**kwargs):
        calls.append(kwargs["code"])
        return real(**kwargs)

    monkeypatch.setattr(otp, "totp_match_step", counting)
    return calls


def code_at(device, at, offset=0):
    return totp_code(secret=device.secret, step=totp_step(at) + offset)


def wrong_code(device, at):
    window = {code_at(device, at, offset) for offset in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in window)


def events(customer, event_type):
    return list(SecurityEvent.objects.filter(customer=customer, event_type=event_type).order_by("seq"))


def refused(expected, call, /, **kwargs):
    with pytest.raises(DomainError) as excinfo:
        call(**kwargs)
    assert excinfo.value.code == expected, excinfo.value.detail
    return excinfo.value


def throttle_of(customer):
    return OtpThrottle.objects.get(customer=customer)


def last_sms_code(customer):
    return Notification.objects.filter(customer=customer, template="otp_sms_code").latest("id").params["code"]


# --- RFC 6238 Appendix B ---------------------------------------------------------------------------

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("unix_time", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(unix_time, sha1, sha256, sha512):
    at = datetime.fromtimestamp(unix_time, UTC)
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        secret = base64.b32encode(SEEDS[digest]).decode()
        assert totp_code(secret=secret, step=totp_step(at), digits=8, digest=digest) == expected


@pytest.mark.parametrize(("unix_time", "sha1"), [(v[0], v[1]) for v in VECTORS])
def test_verification_finds_the_rfc_step(unix_time, sha1):
    # A 6-digit code is the last 6 digits of the 8-digit one: the verifier must land on the vector's step.
    at = datetime.fromtimestamp(unix_time, UTC)
    secret = base64.b32encode(SEEDS["sha1"]).decode()
    assert totp_match_step(secret=secret, code=sha1[-6:], at=at) == unix_time // 30


# --- Drift -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "matches"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_drift_window_is_one_step_either_side(offset, matches):
    secret = pyotp.random_base32()
    step = totp_step(T0)
    code = totp_code(secret=secret, step=step + offset)
    assert totp_match_step(secret=secret, code=code, at=T0) == (step + offset if matches else None)


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_step_up_accepts_a_neighbouring_step_and_remembers_it(clock, offset):
    device = OtpDeviceFactory.create()
    otp_step_up_verify(customer=device.customer, code=code_at(device, T0, offset), origin=ORIGIN)
    device.refresh_from_db()
    assert device.last_accepted_step == totp_step(T0) + offset
    assert device.last_used_at == T0


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-2, 2])
def test_step_up_refuses_two_steps_away(clock, offset):
    device = OtpDeviceFactory.create()
    refused(
        "otp_invalid", otp_step_up_verify, customer=device.customer, code=code_at(device, T0, offset), origin=ORIGIN
    )
    assert throttle_of(device.customer).failures == 1


@pytest.mark.django_db
def test_drift_follows_the_clock(clock):
    device = OtpDeviceFactory.create()
    code = code_at(device, T0)
    clock.advance(seconds=60)  # two steps later the code is stale
    refused("otp_invalid", otp_step_up_verify, customer=device.customer, code=code, origin=ORIGIN)


# --- Replay -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_code_is_accepted_once_then_refused_as_a_replay(clock):
    device = OtpDeviceFactory.create()
    code = code_at(device, T0)
    otp_step_up_verify(customer=device.customer, code=code, origin=ORIGIN)
    error = refused("otp_invalid", otp_step_up_verify, customer=device.customer, code=code, origin=ORIGIN)
    assert problem_status(error) == 403
    [replay] = events(device.customer, EventType.OTP_REPLAYED)
    assert replay.details == {"failures": 1, "method": "totp", "device_id": device.pk, "step": totp_step(T0)}
    assert events(device.customer, EventType.OTP_FAILED) == []
    assert throttle_of(device.customer).failures == 1


@pytest.mark.django_db
def test_an_older_step_is_a_replay_once_a_newer_one_was_accepted(clock):
    device = OtpDeviceFactory.create()
    otp_step_up_verify(customer=device.customer, code=code_at(device, T0, 1), origin=ORIGIN)
    refused("otp_invalid", otp_step_up_verify, customer=device.customer, code=code_at(device, T0), origin=ORIGIN)
    assert len(events(device.customer, EventType.OTP_REPLAYED)) == 1


# --- Step-up helper --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("code", [None, "", "   "])
def test_step_up_without_a_code_is_otp_required(code):
    device = OtpDeviceFactory.create()
    error = refused("otp_required", otp_step_up_verify, customer=device.customer, code=code, origin=ORIGIN)
    assert (problem_status(error), error.field) == (403, "otp")
    assert not OtpThrottle.objects.filter(customer=device.customer).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_step_up_with_a_malformed_code_is_refused_without_counting(code, evaluations):
    device = OtpDeviceFactory.create()
    error = refused("otp_invalid", otp_step_up_verify, customer=device.customer, code=code, origin=ORIGIN)
    assert (problem_status(error), error.field) == (400, "otp")
    assert evaluations == []
    assert not OtpThrottle.objects.filter(customer=device.customer).exists()


@pytest.mark.django_db
def test_step_up_with_a_wrong_code_is_counted_and_logged(clock):
    device = OtpDeviceFactory.create()
    error = refused(
        "otp_invalid", otp_step_up_verify, customer=device.customer, code=wrong_code(device, T0), origin=ORIGIN
    )
    assert (problem_status(error), error.field) == (403, "otp")
    [failed] = events(device.customer, EventType.OTP_FAILED)
    assert failed.details == {"failures": 1}
    assert (failed.ip_address, failed.device) == ("203.0.113.7", "device-test")


@pytest.mark.django_db
def test_step_up_with_a_valid_code_passes_and_is_logged(clock):
    device = OtpDeviceFactory.create()
    otp_step_up_verify(customer=device.customer, code=code_at(device, T0), origin=ORIGIN)
    [verified] = events(device.customer, EventType.OTP_VERIFIED)
    assert verified.details["method"] == "totp"
    assert verified.details["device_id"] == device.pk


@pytest.mark.django_db
def test_step_up_accepts_any_confirmed_device_but_no_unconfirmed_one(clock):
    customer = CustomerFactory.create()
    first = OtpDeviceFactory.create(customer=customer)
    second = OtpDeviceFactory.create(customer=customer)
    pending = OtpDeviceFactory.create(customer=customer, confirmed_at=None)
    otp_step_up_verify(customer=customer, code=code_at(second, T0), origin=ORIGIN)
    otp_step_up_verify(customer=customer, code=code_at(first, T0), origin=ORIGIN)
    refused("otp_invalid", otp_step_up_verify, customer=customer, code=code_at(pending, T0), origin=ORIGIN)


@pytest.mark.django_db
def test_step_up_of_one_customer_does_not_accept_another_customers_code(clock):
    mine = OtpDeviceFactory.create()
    theirs = OtpDeviceFactory.create()
    refused("otp_invalid", otp_step_up_verify, customer=mine.customer, code=code_at(theirs, T0), origin=ORIGIN)


@pytest.mark.django_db
def test_step_up_refuses_to_run_inside_the_callers_transaction(clock):
    # A failure rolled back with the caller's transaction would be a free guess.
    device = OtpDeviceFactory.create()
    with transaction.atomic(), pytest.raises(RuntimeError):
        otp_step_up_verify(customer=device.customer, code=wrong_code(device, T0), origin=ORIGIN)


# --- Throttle and lock-out ---------------------------------------------------------------------------------


def fail(device, times):
    for _ in range(times):
        refused(
            "otp_invalid",
            otp_step_up_verify,
            customer=device.customer,
            code=wrong_code(device, timezone.now()),
            origin=ORIGIN,
        )


@pytest.mark.django_db
def test_five_failures_lock_and_the_sixth_attempt_is_not_evaluated(clock, evaluations):
    device = OtpDeviceFactory.create()
    fail(device, 4)
    assert throttle_of(device.customer).locked_until is None
    fail(device, 1)
    throttle = throttle_of(device.customer)
    assert throttle.failures == 5
    assert throttle.locked_until == T0 + settings.OTP_LOCKOUT_BASE
    [locked] = events(device.customer, EventType.OTP_LOCKED_OUT)
    assert locked.details["lockout_seconds"] == settings.OTP_LOCKOUT_BASE.total_seconds()
    assert len(evaluations) == 5

    clock.advance(seconds=10)
    error = refused(
        "otp_locked", otp_step_up_verify, customer=device.customer, code=code_at(device, clock.now), origin=ORIGIN
    )
    assert problem_status(error) == 429
    assert error.extra == {"retry_after": int(settings.OTP_LOCKOUT_BASE.total_seconds()) - 10}
    assert len(evaluations) == 5, "the right code was refused without being evaluated"
    device.refresh_from_db()
    assert device.last_accepted_step is None
    assert throttle_of(device.customer).failures == 5
    assert len(events(device.customer, EventType.OTP_FAILED)) == 5


@pytest.mark.django_db
def test_the_lock_doubles_with_each_failure_after_it_expires(clock):
    device = OtpDeviceFactory.create()
    base = settings.OTP_LOCKOUT_BASE
    fail(device, 5)
    clock.advance(seconds=base.total_seconds() + 1)
    fail(device, 1)
    throttle = throttle_of(device.customer)
    assert (throttle.failures, throttle.locked_until) == (6, clock.now + 2 * base)
    clock.advance(seconds=2 * base.total_seconds() + 1)
    fail(device, 1)
    throttle = throttle_of(device.customer)
    assert (throttle.failures, throttle.locked_until) == (7, clock.now + 4 * base)
    assert len(events(device.customer, EventType.OTP_LOCKED_OUT)) == 3


@pytest.mark.django_db
def test_the_lock_is_capped(clock):
    device = OtpDeviceFactory.create()
    OtpThrottle.objects.create(customer=device.customer, failures=60)
    fail(device, 1)
    assert throttle_of(device.customer).locked_until == clock.now + LOCKOUT_CAP


@pytest.mark.django_db
def test_success_resets_the_failures(clock):
    device = OtpDeviceFactory.create()
    fail(device, 5)
    clock.advance(seconds=settings.OTP_LOCKOUT_BASE.total_seconds() + 1)
    otp_step_up_verify(customer=device.customer, code=code_at(device, clock.now), origin=ORIGIN)
    throttle = throttle_of(device.customer)
    assert (throttle.failures, throttle.locked_until) == (0, None)
    fail(device, 4)
    assert throttle_of(device.customer).locked_until is None


@pytest.mark.django_db
def test_the_throttle_is_per_customer(clock):
    locked_out = OtpDeviceFactory.create()
    other = OtpDeviceFactory.create()
    fail(locked_out, 5)
    otp_step_up_verify(customer=other.customer, code=code_at(other, T0), origin=ORIGIN)


# --- SMS codes -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_sms_code_is_delivered_through_the_notification_pipeline_and_stored_hashed(clock):
    customer = CustomerFactory.create()
    sms_code = sms_code_send(customer=customer, origin=ORIGIN)
    [notification] = Notification.objects.filter(customer=customer)
    assert (notification.template, notification.channel) == ("otp_sms_code", Notification.Channel.SMS)
    code = notification.params["code"]
    assert len(code) == 6
    assert code.isdigit()
    assert notification.params["minutes"] == 5
    assert sms_code.expires_at == T0 + timedelta(minutes=5)
    row = SmsCode.objects.filter(pk=sms_code.pk).values().get()
    assert all(code not in str(value) for key, value in row.items() if key != "id")
    [sent] = events(customer, EventType.SMS_CODE_SENT)
    assert code not in str(sent.details)
    assert sent.details["sms_code_id"] == sms_code.pk


@pytest.mark.django_db
def test_an_sms_code_passes_step_up_once(clock):
    customer = CustomerFactory.create()
    sms_code_send(customer=customer, origin=ORIGIN)
    code = last_sms_code(customer)
    otp_step_up_verify(customer=customer, code=code, origin=ORIGIN)
    assert SmsCode.objects.get(customer=customer).used_at == T0
    [verified] = events(customer, EventType.OTP_VERIFIED)
    assert verified.details["method"] == "sms"
    refused("otp_invalid", otp_step_up_verify, customer=customer, code=code, origin=ORIGIN)
    [replay] = events(customer, EventType.OTP_REPLAYED)
    assert replay.details["method"] == "sms"


@pytest.mark.django_db
def test_an_sms_code_expires_after_five_minutes(clock):
    customer = CustomerFactory.create()
    sms_code_send(customer=customer, origin=ORIGIN)
    code = last_sms_code(customer)
    clock.advance(minutes=5, seconds=1)
    refused("otp_invalid", otp_step_up_verify, customer=customer, code=code, origin=ORIGIN)


@pytest.mark.django_db
def test_a_new_sms_code_retires_the_previous_one(clock):
    customer = CustomerFactory.create()
    sms_code_send(customer=customer, origin=ORIGIN)
    old = last_sms_code(customer)
    clock.advance(seconds=61)
    sms_code_send(customer=customer, origin=ORIGIN)
    new = last_sms_code(customer)
    if old != new:
        refused("otp_invalid", otp_step_up_verify, customer=customer, code=old, origin=ORIGIN)
    otp_step_up_verify(customer=customer, code=new, origin=ORIGIN)


@pytest.mark.django_db
def test_sms_codes_share_the_totp_throttle(clock):
    device = OtpDeviceFactory.create()
    customer = device.customer
    sms_code_send(customer=customer, origin=ORIGIN)
    code = last_sms_code(customer)
    wrong = next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c != code and c != code_at(device, T0))
    for _ in range(5):
        refused("otp_invalid", otp_step_up_verify, customer=customer, code=wrong, origin=ORIGIN)
    refused("otp_locked", otp_step_up_verify, customer=customer, code=code, origin=ORIGIN)
    assert SmsCode.objects.get(customer=customer).used_at is None
    clock.advance(seconds=30)
    refused("otp_locked", sms_code_send, customer=customer, origin=ORIGIN)


@pytest.mark.django_db
def test_sms_sending_is_limited_to_one_a_minute(clock):
    customer = CustomerFactory.create()
    sms_code_send(customer=customer, origin=ORIGIN)
    clock.advance(seconds=20)
    error = refused("sms_rate_limited", sms_code_send, customer=customer, origin=ORIGIN)
    assert problem_status(error) == 429
    assert error.extra == {"retry_after": 40}
    clock.advance(seconds=40)
    sms_code_send(customer=customer, origin=ORIGIN)
    assert SmsCode.objects.filter(customer=customer).count() == 2


@pytest.mark.django_db
def test_sms_sending_is_limited_to_five_an_hour(clock):
    customer = CustomerFactory.create()
    for _ in range(5):
        sms_code_send(customer=customer, origin=ORIGIN)
        clock.advance(minutes=5)
    # The first code went out 25 minutes ago: the next may go when it is an hour old.
    error = refused("sms_rate_limited", sms_code_send, customer=customer, origin=ORIGIN)
    assert error.extra == {"retry_after": 35 * 60}
    clock.advance(minutes=35)
    sms_code_send(customer=customer, origin=ORIGIN)
    assert Notification.objects.filter(customer=customer, template="otp_sms_code").count() == 6


# --- Devices -------------------------------------------------------------------------------------------------


def sms_proof(customer):
    sms_code_send(customer=customer, origin=ORIGIN)
    return last_sms_code(customer)


@pytest.mark.django_db
def test_enrolment_needs_a_one_time_password(clock):
    customer = CustomerFactory.create()
    error = refused("otp_required", otp_device_enroll, customer=customer, name="Phone", otp=None, origin=ORIGIN)
    assert error.field == "otp"
    assert not OtpDevice.objects.exists()


@pytest.mark.django_db
def test_enrolment_creates_an_unconfirmed_device_with_an_encrypted_secret(clock):
    customer = CustomerFactory.create()
    enrolled = otp_device_enroll(customer=customer, name="Phone", otp=sms_proof(customer), origin=ORIGIN)
    device = OtpDevice.objects.get(pk=enrolled.device.pk)
    assert (device.customer, device.name, device.confirmed_at) == (customer, "Phone", None)
    parsed = pyotp.parse_uri(enrolled.otpauth_uri)
    assert parsed.secret == device.secret
    assert parsed.name == customer.customer_number
    assert parsed.issuer == settings.OTP_ISSUER
    assert len(device.secret) == 32
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {OtpDevice._meta.db_table} WHERE id = %s", [device.pk])
        [(stored,)] = cursor.fetchall()
    assert device.secret not in stored
    [enrolled_event] = events(customer, EventType.OTP_DEVICE_ENROLLED)
    assert enrolled_event.details == {"device_id": device.pk, "name": "Phone"}
    assert all(device.secret not in str(e.details) for e in SecurityEvent.objects.all())


@pytest.mark.django_db
def test_enrolment_with_a_wrong_code_creates_nothing_and_counts(clock):
    device = OtpDeviceFactory.create()
    refused(
        "otp_invalid",
        otp_device_enroll,
        customer=device.customer,
        name="Second",
        otp=wrong_code(device, T0),
        origin=ORIGIN,
    )
    assert OtpDevice.objects.filter(customer=device.customer).count() == 1
    assert throttle_of(device.customer).failures == 1


@pytest.mark.django_db
def test_enrolment_is_limited_per_customer_and_does_not_use_up_the_code(clock):
    customer = CustomerFactory.create()
    devices = OtpDeviceFactory.create_batch(otp.MAX_DEVICES_PER_CUSTOMER, customer=customer)
    code = code_at(devices[0], T0)
    refused("otp_device_limit", otp_device_enroll, customer=customer, name="One more", otp=code, origin=ORIGIN)
    devices[0].refresh_from_db()
    assert devices[0].last_accepted_step is None


@pytest.mark.django_db
def test_abandoned_enrolments_are_cleared_and_hidden(clock):
    customer = CustomerFactory.create()
    confirmed = OtpDeviceFactory.create(customer=customer)
    abandoned = OtpDeviceFactory.create(customer=customer, confirmed_at=None)
    assert list(otp_device_list(customer=customer)) == [confirmed, abandoned]
    clock.advance(minutes=11)
    assert list(otp_device_list(customer=customer)) == [confirmed]
    otp_device_enroll(customer=customer, name="New", otp=code_at(confirmed, clock.now), origin=ORIGIN)
    assert not OtpDevice.objects.filter(pk=abandoned.pk).exists()


@pytest.mark.django_db
def test_confirmation_with_the_first_code(clock):
    customer = CustomerFactory.create()
    enrolled = otp_device_enroll(customer=customer, name="Phone", otp=sms_proof(customer), origin=ORIGIN)
    secret = pyotp.parse_uri(enrolled.otpauth_uri).secret
    code = totp_code(secret=secret, step=totp_step(T0))
    device = otp_device_confirm(customer=customer, device_id=enrolled.device.pk, code=code, origin=ORIGIN)
    assert device.confirmed_at == T0
    assert device.last_accepted_step == totp_step(T0)
    [confirmed] = events(customer, EventType.OTP_DEVICE_CONFIRMED)
    assert confirmed.details == {"device_id": device.pk, "name": "Phone"}
    added = Notification.objects.filter(customer=customer, template="otp_device_added")
    assert {n.channel for n in added} == {"push", "sms"}
    # The confirmation code cannot be replayed for step-up.
    refused("otp_invalid", otp_step_up_verify, customer=customer, code=code, origin=ORIGIN)
    clock.advance(seconds=30)
    otp_step_up_verify(customer=customer, code=totp_code(secret=secret, step=totp_step(clock.now)), origin=ORIGIN)


@pytest.mark.django_db
def test_confirmation_with_a_wrong_code_is_counted(clock):
    pending = OtpDeviceFactory.create(confirmed_at=None)
    error = refused(
        "otp_invalid",
        otp_device_confirm,
        customer=pending.customer,
        device_id=pending.pk,
        code=wrong_code(pending, T0),
        origin=ORIGIN,
    )
    assert (problem_status(error), error.field) == (400, "code")
    pending.refresh_from_db()
    assert pending.confirmed_at is None
    assert throttle_of(pending.customer).failures == 1


@pytest.mark.django_db
def test_confirmation_accepts_only_the_devices_own_code(clock):
    confirmed = OtpDeviceFactory.create()
    pending = OtpDeviceFactory.create(customer=confirmed.customer, confirmed_at=None)
    refused(
        "otp_invalid",
        otp_device_confirm,
        customer=pending.customer,
        device_id=pending.pk,
        code=code_at(confirmed, T0),
        origin=ORIGIN,
    )


@pytest.mark.django_db
def test_confirmation_refuses_confirmed_expired_and_foreign_devices(clock):
    confirmed = OtpDeviceFactory.create()
    customer = confirmed.customer
    code = code_at(confirmed, T0)
    refused(
        "otp_device_already_confirmed",
        otp_device_confirm,
        customer=customer,
        device_id=confirmed.pk,
        code=code,
        origin=ORIGIN,
    )
    pending = OtpDeviceFactory.create(customer=customer, confirmed_at=None)
    clock.advance(minutes=11)
    refused(
        "otp_device_expired",
        otp_device_confirm,
        customer=customer,
        device_id=pending.pk,
        code=code_at(pending, clock.now),
        origin=ORIGIN,
    )
    foreign = OtpDeviceFactory.create(confirmed_at=None)
    with pytest.raises(NotFound):
        otp_device_confirm(customer=customer, device_id=foreign.pk, code=code_at(foreign, clock.now), origin=ORIGIN)
    assert not OtpThrottle.objects.filter(customer=customer, failures__gt=0).exists()


@pytest.mark.django_db
def test_removal_with_a_code_of_another_method(clock):
    customer = CustomerFactory.create()
    keep = OtpDeviceFactory.create(customer=customer)
    lost = OtpDeviceFactory.create(customer=customer)
    otp_device_remove(customer=customer, device_id=lost.pk, code=code_at(keep, T0), origin=ORIGIN)
    assert list(OtpDevice.objects.filter(customer=customer)) == [keep]
    [removed] = events(customer, EventType.OTP_DEVICE_REMOVED)
    assert removed.details == {"device_id": lost.pk, "name": lost.name, "was_confirmed": True}
    removed_notice = Notification.objects.filter(customer=customer, template="otp_device_removed")
    assert {n.channel for n in removed_notice} == {"push", "sms"}


@pytest.mark.django_db
def test_removal_with_an_sms_code(clock):
    device = OtpDeviceFactory.create()
    otp_device_remove(customer=device.customer, device_id=device.pk, code=sms_proof(device.customer), origin=ORIGIN)
    assert not OtpDevice.objects.exists()


@pytest.mark.django_db
def test_removal_with_a_wrong_code_keeps_the_device(clock):
    device = OtpDeviceFactory.create()
    error = refused(
        "otp_invalid",
        otp_device_remove,
        customer=device.customer,
        device_id=device.pk,
        code=wrong_code(device, T0),
        origin=ORIGIN,
    )
    assert error.field == "code"
    assert OtpDevice.objects.filter(pk=device.pk).exists()
    assert events(device.customer, EventType.OTP_DEVICE_REMOVED) == []


@pytest.mark.django_db
def test_removal_of_another_customers_device_is_not_found_and_not_counted(clock, evaluations):
    mine = OtpDeviceFactory.create()
    theirs = OtpDeviceFactory.create()
    with pytest.raises(NotFound):
        otp_device_remove(customer=mine.customer, device_id=theirs.pk, code=code_at(mine, T0), origin=ORIGIN)
    assert evaluations == []
    assert OtpDevice.objects.filter(pk=theirs.pk).exists()
