"""Sign-in services: credentials, the throttle, devices, password hashing and the security log."""

import json
import threading
from contextlib import contextmanager, suppress
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from accounts import signin
from accounts.models import AuthToken, Device, LoginThrottle
from accounts.signin import (
    DeviceRevoked,
    InvalidCredentials,
    LoginLocked,
    NotAnAgent,
    address_key,
    customer_sign_in,
    device_revoke,
    staff_sign_in,
    token_sign_out,
)
from securitycenter.errors import DomainError
from securitycenter.problems import problem_status
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin
from tests.factories import DEFAULT_PASSWORD, CustomerFactory, DeviceFactory, StaffUserFactory, staff_totp
from tests.support.race import run_at_once

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
HERE = Origin(ip_address="198.51.100.7", device="phone-1")


@contextmanager
def clock_moved(delta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


@contextmanager
def counting_password_checks():
    """Counts the password checks sign-in evaluates (dummy checks for unknown logins included)."""
    calls = []
    lock = threading.Lock()
    real = signin.check_password

    def counting(password, encoded, *args, **kwargs):
        with lock:
            calls.append(encoded)
        return real(password, encoded, *args, **kwargs)

    with mock.patch.object(signin, "check_password", counting):
        yield calls


def sign_in(login, password=DEFAULT_PASSWORD, *, device_id="phone-1", origin=HERE):
    return customer_sign_in(
        login=login, password=password, device_id=device_id, device_name="Mate 60", platform="harmonyos", origin=origin
    )


def refusal(login, password="wrong password", **kwargs):
    with pytest.raises(DomainError) as excinfo:
        sign_in(login, password, **kwargs)
    return excinfo.value


def customer_throttle(customer):
    return LoginThrottle.objects.get(scope=LoginThrottle.Scope.CUSTOMER, key=f"customer:{customer.pk}")


def events(event_type, **filters):
    return list(SecurityEvent.objects.filter(event_type=event_type, **filters).order_by("pk"))


def stored_log_text():
    return json.dumps(
        [[e.details, e.old_value, e.new_value, e.device] for e in SecurityEvent.objects.all()], ensure_ascii=False
    )


@pytest.fixture
def customer():
    return CustomerFactory()


# --- credentials -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_by_phone_and_by_customer_number(customer):
    by_phone = sign_in(customer.phone)
    by_number = sign_in(customer.customer_number, device_id="tablet-1")
    assert by_phone.customer == by_number.customer == customer
    assert by_phone.issued.token.device == by_phone.device
    assert by_phone.device.device_id == "phone-1"
    assert by_number.device.device_id == "tablet-1"
    assert AuthToken.objects.get(pk=by_phone.issued.token.pk).customer == customer


@pytest.mark.django_db
def test_unknown_login_and_wrong_password_are_the_same_refusal(customer):
    wrong_password = refusal(customer.phone)
    unknown = refusal("+8613999999999")
    unknown_number = refusal("C999999999")
    for exc in (wrong_password, unknown, unknown_number):
        assert isinstance(exc, InvalidCredentials)
        assert (problem_status(exc), exc.code, str(exc.detail)) == (
            401,
            "invalid_credentials",
            str(wrong_password.detail),
        )


@pytest.mark.django_db
def test_unknown_login_costs_a_password_check_too(customer, settings):
    settings.PASSWORD_HASHERS = [ARGON2]
    with counting_password_checks() as checks:
        refusal("+8613999999999")
    # The dummy is hashed with the production hasher, so it takes as long as a real check.
    assert len(checks) == 1
    assert checks[0].startswith("argon2$")


@pytest.mark.django_db
def test_inactive_customer_cannot_sign_in_even_with_the_right_password(customer):
    customer.is_active = False
    customer.save()
    assert isinstance(refusal(customer.phone, DEFAULT_PASSWORD), InvalidCredentials)
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
def test_password_is_not_trimmed_or_case_folded():
    customer = CustomerFactory(password=make_password(" Secret "))
    assert isinstance(refusal(customer.phone, "Secret"), InvalidCredentials)
    assert isinstance(refusal(customer.phone, " secret "), InvalidCredentials)
    assert sign_in(customer.phone, " Secret ").customer == customer


# --- devices ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_records_the_device_and_updates_it_later(customer):
    first = sign_in(customer.phone)
    device = Device.objects.get(customer=customer, device_id="phone-1")
    assert (device.name, device.platform) == ("Mate 60", "harmonyos")
    with clock_moved(timedelta(hours=1)):
        customer_sign_in(
            login=customer.phone,
            password=DEFAULT_PASSWORD,
            device_id="phone-1",
            device_name="Renamed",
            platform="harmonyos",
            origin=HERE,
        )
    device.refresh_from_db()
    assert device.name == "Renamed"
    assert device.first_seen_at == first.device.first_seen_at
    assert device.last_seen_at > first.device.last_seen_at + timedelta(minutes=59)
    assert Device.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_a_new_sign_in_ends_the_devices_earlier_session(customer):
    first = sign_in(customer.phone)
    other_device = sign_in(customer.phone, device_id="tablet-1")
    second = sign_in(customer.phone)
    first.issued.token.refresh_from_db()
    other_device.issued.token.refresh_from_db()
    assert first.issued.token.revoked_at is not None
    assert other_device.issued.token.revoked_at is None
    assert second.issued.token.revoked_at is None


@pytest.mark.django_db
def test_revoked_device_cannot_sign_in(customer):
    DeviceFactory(customer=customer, device_id="phone-1", revoked_at=timezone.now())
    exc = refusal(customer.phone, DEFAULT_PASSWORD)
    assert isinstance(exc, DeviceRevoked)
    assert (problem_status(exc), exc.code) == (403, "device_revoked")
    assert not AuthToken.objects.exists()
    # The same device id on another customer's account is another device.
    assert sign_in(CustomerFactory().phone).device.revoked_at is None


@pytest.mark.django_db
def test_device_revoke_ends_its_sessions_and_logs(customer):
    session = sign_in(customer.phone)
    other = sign_in(customer.phone, device_id="tablet-1")
    device_revoke(device=session.device, actor=Actor.customer(customer), origin=HERE)
    session.issued.token.refresh_from_db()
    other.issued.token.refresh_from_db()
    assert session.issued.token.revoked_at is not None
    assert other.issued.token.revoked_at is None
    assert Device.objects.get(pk=session.device.pk).revoked_at is not None
    [revoked] = events(EventType.DEVICE_REVOKED, customer=customer)
    assert revoked.details["device_pk"] == session.device.pk
    assert revoked.new_value == {"revoked": True, "tokens_revoked": 1}
    [token_revoked] = events(EventType.TOKEN_REVOKED, customer=customer)
    assert token_revoked.details == {
        "token_id": session.issued.token.pk,
        "device_pk": session.device.pk,
        "reason": "device_revoked",
    }
    # Twice is harmless and logs nothing new.
    device_revoke(device=session.device, actor=Actor.customer(customer), origin=HERE)
    assert len(events(EventType.DEVICE_REVOKED)) == 1


@pytest.mark.django_db
def test_sign_out_revokes_the_token_once(customer):
    session = sign_in(customer.phone)
    token_sign_out(token=session.issued.token, origin=HERE)
    token_sign_out(token=session.issued.token, origin=HERE)
    assert AuthToken.objects.get(pk=session.issued.token.pk).revoked_at is not None
    [logout] = events(EventType.LOGOUT, customer=customer)
    assert logout.actor_type == "customer"


# --- throttle ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_is_locked_after_the_limit_and_the_right_password_is_refused(customer, settings):
    limit = settings.LOGIN_MAX_FAILURES_PER_CUSTOMER
    for _ in range(limit - 1):
        assert isinstance(refusal(customer.phone), InvalidCredentials)
    locking = refusal(customer.customer_number)  # both logins count against the one customer
    assert isinstance(locking, LoginLocked)

    with counting_password_checks() as checks:
        locked = refusal(customer.phone, DEFAULT_PASSWORD)
    assert checks == []  # refused before any password is checked
    assert isinstance(locked, LoginLocked)
    assert (problem_status(locked), locked.code) == (429, "login_locked")
    lockout_seconds = settings.LOGIN_LOCKOUT.total_seconds()
    assert lockout_seconds - 5 <= locked.extra["retry_after"] <= lockout_seconds

    with clock_moved(settings.LOGIN_LOCKOUT + timedelta(seconds=1)):
        assert sign_in(customer.phone).customer == customer
    throttle = customer_throttle(customer)
    assert (throttle.failures, throttle.lockouts, throttle.locked_until) == (0, 0, None)


@pytest.mark.django_db
def test_success_resets_the_consecutive_failures(customer, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        refusal(customer.phone)
    sign_in(customer.phone)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        assert isinstance(refusal(customer.phone), InvalidCredentials)


@pytest.mark.django_db
def test_repeated_lock_outs_grow(customer, settings):
    limit = settings.LOGIN_MAX_FAILURES_PER_CUSTOMER
    lockout = settings.LOGIN_LOCKOUT
    for _ in range(limit):
        refusal(customer.phone)
    assert customer_throttle(customer).lockouts == 1
    with clock_moved(lockout + timedelta(seconds=1)):
        for _ in range(limit - 1):
            assert isinstance(refusal(customer.phone), InvalidCredentials)
        second = refusal(customer.phone)
    assert isinstance(second, LoginLocked)
    assert second.extra["retry_after"] == pytest.approx(2 * lockout.total_seconds(), abs=5)
    # A quiet day forgets the history.
    with clock_moved(timedelta(days=2)):
        for _ in range(limit):
            last = refusal(customer.phone)
    assert last.extra["retry_after"] == pytest.approx(lockout.total_seconds(), abs=5)


@pytest.mark.django_db
def test_unknown_login_locks_like_a_real_one(settings):
    """Otherwise the lock-out would tell an attacker which logins exist."""
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        assert isinstance(refusal("+8613999999999"), InvalidCredentials)
    assert isinstance(refusal("+8613999999999"), LoginLocked)
    assert isinstance(refusal("+8613999999999"), LoginLocked)
    # Another unknown login from the same address is not locked.
    assert isinstance(refusal("+8613999999998"), InvalidCredentials)


@pytest.mark.django_db
def test_address_is_locked_after_its_limit_for_every_login(customer, settings):
    limit = settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    attacker = Origin(ip_address="203.0.113.9")
    for n in range(limit - 1):
        assert isinstance(refusal(f"+86139{n:08d}", origin=attacker), InvalidCredentials)
    assert isinstance(refusal(f"+86139{limit:08d}", origin=attacker), LoginLocked)

    with counting_password_checks() as checks:
        locked = refusal(customer.phone, DEFAULT_PASSWORD, origin=attacker)
    assert checks == []
    assert isinstance(locked, LoginLocked)
    assert locked.extra["retry_after"] > 0
    # The customer is not locked: from anywhere else the right password works.
    assert sign_in(customer.phone, origin=Origin(ip_address="198.51.100.20")).customer == customer
    [lockout] = events(EventType.LOGIN_LOCKED_OUT, details__scope="address")
    assert lockout.chain == "bank"
    assert lockout.details["address"] == "203.0.113.9"


@pytest.mark.django_db
def test_staff_failures_are_counted_apart_from_customers(settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    call_centre = Origin(ip_address="10.9.9.9")
    for n in range(3):
        refusal(f"C9999{n}", origin=call_centre)
    agent = StaffUserFactory(groups=["agent"])
    assert staff_sign_in(
        username=agent.username, password=DEFAULT_PASSWORD, totp=staff_totp(), origin=call_centre
    ).token.staff_user == (agent)


def test_ipv6_addresses_are_counted_per_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key(None) == address_key("not an address") == "unknown"


@pytest.mark.django_db(transaction=True)
def test_failure_counters_are_committed_although_the_request_fails(customer):
    """No outer test transaction here: a counter rolled back with the error would read 0."""
    refusal(customer.phone)
    refusal(customer.phone)
    assert customer_throttle(customer).failures == 2
    assert len(events(EventType.LOGIN_FAILED, customer=customer)) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_sign_ins_check_at_most_the_limit(settings):
    customer = CustomerFactory()
    attempts = 20

    def attempt(_):
        with pytest.raises(DomainError) as excinfo:
            sign_in(customer.phone, "wrong password")
        return excinfo.value.code

    with counting_password_checks() as checks:
        codes = run_at_once(attempts, attempt)

    assert len(checks) <= settings.LOGIN_MAX_FAILURES_PER_CUSTOMER
    assert set(codes) <= {"invalid_credentials", "login_locked"}
    assert codes.count("invalid_credentials") == settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1
    throttle = customer_throttle(customer)
    assert throttle.locked_until is not None and throttle.locked_until > timezone.now()
    assert throttle.failures == settings.LOGIN_MAX_FAILURES_PER_CUSTOMER
    assert isinstance(refusal(customer.phone, DEFAULT_PASSWORD), LoginLocked)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_failures_from_one_address_never_pass_its_limit(settings):
    # Every attempt names another login, so only the address's budget stands in the way. The address row
    # is not held across a password check; before it was counted atomically, 30 parallel attempts against
    # a limit of 5 had about 30 passwords checked.
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 5
    botnet_exit = Origin(ip_address="203.0.113.66")
    slow_checks = threading.Barrier(2, timeout=1)

    def attempt(i):
        with pytest.raises(DomainError) as excinfo:
            sign_in(f"+86137{i:08d}", "wrong password", origin=botnet_exit)
        return excinfo.value.code

    real = signin.check_password

    def slow(password, encoded, *args, **kwargs):
        # Two checks meet here, so checks overlap however the threads are scheduled.
        with suppress(threading.BrokenBarrierError):
            slow_checks.wait()
        return real(password, encoded, *args, **kwargs)

    with mock.patch.object(signin, "check_password", slow), counting_password_checks() as checks:
        codes = run_at_once(30, attempt)

    assert len(checks) <= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    assert set(codes) <= {"invalid_credentials", "login_locked"}
    address = LoginThrottle.objects.get(scope=LoginThrottle.Scope.ADDRESS, key="203.0.113.66")
    assert address.failures == len(checks) == settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    assert address.in_flight == 0
    assert address.locked_until is not None


@pytest.mark.django_db
def test_a_right_password_gives_its_share_of_the_address_budget_back(customer, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 2
    for n in range(5):
        sign_in(customer.phone, device_id=f"phone-{n}")
    address = LoginThrottle.objects.get(scope=LoginThrottle.Scope.ADDRESS, key=HERE.ip_address)
    assert (address.failures, address.in_flight, address.locked_until) == (0, 0, None)
    assert isinstance(refusal(customer.phone), InvalidCredentials)
    assert isinstance(refusal("+8613999999990"), LoginLocked)


# --- password hashing ----------------------------------------------------------------------------


def test_production_hashes_passwords_with_argon2(settings):
    from securitycenter import settings as production

    assert production.PASSWORD_HASHERS[0] == ARGON2
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    encoded = make_password("correct horse battery staple")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("correct horse battery staple", encoded)
    assert not check_password("correct horse battery stapler", encoded)


@pytest.mark.django_db
def test_sign_in_upgrades_an_old_hash_to_the_current_hasher(settings):
    customer = CustomerFactory()  # hashed with MD5 under the test settings
    settings.PASSWORD_HASHERS = [ARGON2, "django.contrib.auth.hashers.MD5PasswordHasher"]
    sign_in(customer.phone)
    customer.refresh_from_db()
    assert customer.password.startswith("argon2$")
    assert sign_in(customer.phone, device_id="phone-2").customer == customer


# --- staff ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_sign_in():
    agent = StaffUserFactory(groups=["agent"])
    issued = staff_sign_in(username=agent.username, password=DEFAULT_PASSWORD, totp=staff_totp(), origin=HERE)
    assert issued.token.staff_user == agent
    assert issued.token.device is None
    [succeeded] = events(EventType.LOGIN_SUCCEEDED)
    assert (succeeded.chain, succeeded.actor_type, succeeded.actor_id) == ("bank", "agent", str(agent.pk))


@pytest.mark.django_db
def test_staff_sign_in_refusals(settings):
    agent = StaffUserFactory(groups=["agent"])
    clerk = StaffUserFactory()  # staff, but not in the call centre
    retired = StaffUserFactory(groups=["agent"], is_active=False)

    def staff_refusal(username, password=DEFAULT_PASSWORD):
        with pytest.raises(DomainError) as excinfo:
            staff_sign_in(username=username, password=password, totp=staff_totp(), origin=HERE)
        return excinfo.value

    assert isinstance(staff_refusal(agent.username, "wrong"), InvalidCredentials)
    assert isinstance(staff_refusal("nobody"), InvalidCredentials)
    assert isinstance(staff_refusal(retired.username), InvalidCredentials)
    assert isinstance(staff_refusal(clerk.username), NotAnAgent)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        staff_refusal(agent.username, "wrong")
    assert isinstance(staff_refusal(agent.username), LoginLocked)
    assert LoginThrottle.objects.get(scope=LoginThrottle.Scope.STAFF, key=f"user:{agent.pk}").locked_until


# --- security log ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_sign_in_event_is_logged_without_secrets(customer, settings):
    wrong = "my-wrong-Passw0rd"
    unknown_login = "+8613912345678"
    session = sign_in(customer.phone)
    refusal(unknown_login, wrong)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER):
        refusal(customer.phone, wrong)
    refusal(customer.phone, DEFAULT_PASSWORD)  # while locked
    token_sign_out(token=session.issued.token, origin=HERE)

    [succeeded] = events(EventType.LOGIN_SUCCEEDED)
    assert (succeeded.chain, succeeded.actor_type) == (f"customer:{customer.pk}", "customer")
    assert succeeded.details["login_kind"] == "phone"
    assert succeeded.ip_address == HERE.ip_address
    assert succeeded.device == "phone-1"

    unknown = events(EventType.LOGIN_FAILED, chain="bank")
    assert [e.details["reason"] for e in unknown] == ["unknown_login"]
    assert unknown[0].details["login_index"]
    known = events(EventType.LOGIN_FAILED, customer=customer)
    assert [e.details["reason"] for e in known] == [
        *["wrong_password"] * settings.LOGIN_MAX_FAILURES_PER_CUSTOMER,
        "locked_out",
    ]
    [locked_out] = events(EventType.LOGIN_LOCKED_OUT, customer=customer)
    assert locked_out.details["scope"] == "customer"
    assert events(EventType.LOGOUT, customer=customer)

    text = stored_log_text()
    for secret in (wrong, DEFAULT_PASSWORD, session.issued.raw, unknown_login, unknown_login[1:]):
        assert secret not in text


def test_a_sign_in_from_a_new_device_is_announced_once(db):
    from accounts.models import Notification
    from accounts.signin import customer_sign_in
    from securitycenter.securitylog.record import Origin
    from tests.factories import DEFAULT_PASSWORD, CustomerFactory

    customer = CustomerFactory()

    def sign_in():
        customer_sign_in(
            login=customer.phone,
            password=DEFAULT_PASSWORD,
            device_id="new-phone-1",
            device_name="Pixel",
            platform="android",
            origin=Origin(ip_address="203.0.113.5"),
        )

    sign_in()
    sign_in()
    notes = Notification.objects.filter(customer=customer, template="login_new_device")
    assert sorted(n.channel for n in notes) == ["push", "sms"]
    assert notes.first().params == {"device_name": "Pixel"}
