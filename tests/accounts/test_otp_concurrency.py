"""The OTP throttle and replay guard under real parallel requests (PostgreSQL row locks)."""

import threading
from collections import Counter

import pytest
from django.utils import timezone

from accounts import otp
from accounts.models import OtpDevice, OtpThrottle, SmsCode
from accounts.otp import otp_step_up_verify, sms_code_send, totp_code, totp_step
from securitycenter.errors import DomainError
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import OtpDeviceFactory
from tests.support.race import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORIGIN = Origin(ip_address="198.51.100.1")


def outcomes_at_once(count, work):
    """Run `work(i)` in `count` threads released together; each thread's outcome: "accepted" or the code."""
    return [
        "accepted" if not isinstance(r, BaseException) else r.code if isinstance(r, DomainError) else repr(r)
        for r in run_at_once(count, work)
    ]


@pytest.fixture
def evaluations(monkeypatch):
    """Thread-safe count of codes actually compared against a device."""
    lock = threading.Lock()
    count: Counter[str] = Counter()
    real = otp.totp_match_step

    def counting(**kwargs):
        with lock:
            count["evaluated"] += 1
        return real(**kwargs)

    monkeypatch.setattr(otp, "totp_match_step", counting)
    return count


def wrong_codes(device, how_many):
    now = totp_step(timezone.now())
    window = {totp_code(secret=device.secret, step=now + d) for d in range(-3, 4)}
    candidates = (f"{n:06d}" for n in range(100_000, 1_000_000, 7919))
    return [c for c in candidates if c not in window][:how_many]


def test_parallel_guesses_never_get_more_than_five_evaluations(evaluations):
    device = OtpDeviceFactory.create()
    codes = wrong_codes(device, 20)
    outcomes = outcomes_at_once(
        20, lambda i: otp_step_up_verify(customer=device.customer, code=codes[i], origin=ORIGIN)
    )

    assert Counter(outcomes) == {"otp_invalid": 5, "otp_locked": 15}
    assert evaluations["evaluated"] == 5
    throttle = OtpThrottle.objects.get(customer=device.customer)
    assert throttle.failures == 5
    assert throttle.locked_until is not None
    assert throttle.locked_until > timezone.now()
    log = SecurityEvent.objects.filter(customer=device.customer)
    assert log.filter(event_type=EventType.OTP_FAILED).count() == 5
    assert log.filter(event_type=EventType.OTP_LOCKED_OUT).count() == 1


def test_the_same_valid_code_sent_ten_times_at_once_is_accepted_once():
    device = OtpDeviceFactory.create()
    step = totp_step(timezone.now())
    code = totp_code(secret=device.secret, step=step)
    outcomes = outcomes_at_once(10, lambda i: otp_step_up_verify(customer=device.customer, code=code, origin=ORIGIN))

    assert outcomes.count("accepted") == 1
    assert set(outcomes) <= {"accepted", "otp_invalid", "otp_locked"}, outcomes
    device.refresh_from_db()
    assert device.last_accepted_step == step
    log = SecurityEvent.objects.filter(customer=device.customer)
    assert log.filter(event_type=EventType.OTP_VERIFIED).count() == 1
    assert log.filter(event_type=EventType.OTP_REPLAYED).count() == outcomes.count("otp_invalid")


def test_a_failure_is_committed_although_the_request_fails():
    device = OtpDeviceFactory.create()
    [code] = wrong_codes(device, 1)
    with pytest.raises(DomainError):
        otp_step_up_verify(customer=device.customer, code=code, origin=ORIGIN)
    # Outside any test transaction: only what was committed is visible to another connection.
    outcome = outcomes_at_once(1, lambda i: OtpThrottle.objects.get(customer=device.customer, failures=1))
    assert outcome == ["accepted"]
    assert SecurityEvent.objects.filter(customer=device.customer, event_type=EventType.OTP_FAILED).count() == 1


def test_parallel_sms_requests_send_one_code():
    device = OtpDeviceFactory.create()
    outcomes = outcomes_at_once(8, lambda i: sms_code_send(customer=device.customer, origin=ORIGIN))
    assert Counter(outcomes) == {"accepted": 1, "sms_rate_limited": 7}
    assert SmsCode.objects.filter(customer=device.customer).count() == 1


def test_parallel_confirmations_confirm_once():
    pending = OtpDeviceFactory.create(confirmed_at=None)
    code = totp_code(secret=pending.secret, step=totp_step(timezone.now()))
    outcomes = outcomes_at_once(
        6,
        lambda i: otp.otp_device_confirm(customer=pending.customer, device_id=pending.pk, code=code, origin=ORIGIN),
    )
    assert Counter(outcomes) == {"accepted": 1, "otp_device_already_confirmed": 5}
    assert OtpDevice.objects.get(pk=pending.pk).confirmed_at is not None
    assert OtpThrottle.objects.get(customer=pending.customer).failures == 0
