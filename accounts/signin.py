"""Sign-in for customers (phone or customer number + password, on a device) and staff, sign-out, and
device revocation.

Throttle. Consecutive failures are counted in LoginThrottle rows: per customer (scope "customer"), per
staff user (scope "staff") and per client address (scope "address"). Reaching the limit locks the row
for LOGIN_LOCKOUT, doubling with each further lock-out (up to a day); while a row is locked, sign-in is
refused before any password is checked. A login that names nobody gets a row of its own, keyed by a
keyed hash of the login, so it locks exactly like a real one: neither the answer, the timing nor the
lock-out tells an attacker whether a login exists.

The customer's (or unknown login's) row is locked FOR UPDATE across the password check, so parallel
attempts queue and at most the limit is ever checked. The address row cannot be held across a check (it
would queue every sign-in behind one carrier-grade NAT address), so an attempt takes a share of the
address's budget in a short transaction of its own *before* its check (`_AddressBudget`: `in_flight`
counts the shares), which becomes a failure if the password was wrong and is given back otherwise:
parallel attempts from one address see each other's shares at once, and failures plus shares never pass
the limit, so at most the limit of wrong passwords is ever checked. (A share of a process killed
meanwhile stays counted until the row's quiet period.) The address is the one
`securitycenter.client_address` finds behind the trusted proxies.

Refusals are raised only after the transaction has committed: the failure counters and the log
entries must persist although the request fails. These services therefore must not run inside an outer
transaction that the refusal would roll back.
"""

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.lockouts import lockout_duration
from accounts.models import AuthToken, Customer, Device, LoginThrottle, StaffAuthenticator
from accounts.notifications.queue import notification_queue
from accounts.otp import totp_match_step
from accounts.roles import staff_has
from accounts.tokens import IssuedToken, auth_token_issue, auth_token_revoke
from securitycenter.crypto import blind_index
from securitycenter.errors import DomainError, NotAuthenticated, NotPermitted, TooManyAttempts
from securitycenter.rows import row_for_update
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

PHONE_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
AGENT_ACCESS = "accounts.agent_access"
ADMIN_SITE = "accounts.admin_site"

# A throttle with no failure for this long starts afresh, lock-out history included: otherwise the
# typos of everybody behind one address would add up until the address locks for good.
_QUIET_PERIOD = timedelta(days=1)
# Who records failures and lock-outs: the caller is not known to be the customer.
_SIGN_IN_ACTOR = Actor.system("sign_in")


class InvalidCredentials(NotAuthenticated):
    default_code = "invalid_credentials"
    default_detail = "The login or the password is wrong."


class LoginLocked(TooManyAttempts):
    default_code = "login_locked"
    default_detail = "Too many failed sign-ins. Try again later."


class DeviceRevoked(NotPermitted):
    default_code = "device_revoked"
    default_detail = "This device was removed from your account and cannot sign in."


class NotAnAgent(NotPermitted):
    default_code = "not_an_agent"
    default_detail = "This staff account may not use the agent API."


@dataclass(frozen=True)
class CustomerSignIn:
    issued: IssuedToken
    customer: Customer
    device: Device


# --- throttle ---------------------------------------------------------------------------------------


def _throttle_for_update(*, scope: str, key: str) -> LoginThrottle:
    return row_for_update(LoginThrottle, scope=scope, key=key)


def _locked_until(throttle: LoginThrottle | None, now: datetime) -> datetime | None:
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= now:
        return None
    return throttle.locked_until


def _lockout_duration(lockouts: int) -> timedelta:
    # The first lock-out lasts LOGIN_LOCKOUT, each further one twice the one before.
    return lockout_duration(base=settings.LOGIN_LOCKOUT, doublings=lockouts - 1)


def _throttle_renew(throttle: LoginThrottle, now: datetime) -> None:
    """Forget what no longer counts on a row that is not locked: a quiet day, or a lock-out that ran out."""
    if now - throttle.updated_at >= _QUIET_PERIOD:
        throttle.failures = 0
        throttle.lockouts = 0
        # Nothing is checked for a day: whatever is still counted in flight was lost with its process.
        throttle.in_flight = 0
    if throttle.locked_until is not None:
        # The last lock-out has run out: a new round of attempts begins.
        throttle.failures = 0
        throttle.locked_until = None


def _throttle_lock(throttle: LoginThrottle, now: datetime) -> None:
    throttle.lockouts += 1
    throttle.locked_until = now + _lockout_duration(throttle.lockouts)


_THROTTLE_FIELDS = ["failures", "in_flight", "lockouts", "locked_until", "updated_at"]


def _throttle_fail(throttle: LoginThrottle, *, limit: int, now: datetime) -> bool:
    """Count one failure on a row locked FOR UPDATE; True if this failure locked it."""
    if _locked_until(throttle, now) is not None:
        # A parallel attempt locked it while this one was checking its password.
        return False
    _throttle_renew(throttle, now)
    throttle.failures += 1
    locked = throttle.failures >= limit
    if locked:
        _throttle_lock(throttle, now)
    throttle.save(update_fields=_THROTTLE_FIELDS)
    return locked


def _throttle_clear(throttle: LoginThrottle) -> None:
    if throttle.failures or throttle.lockouts or throttle.locked_until is not None:
        throttle.failures = 0
        throttle.lockouts = 0
        throttle.locked_until = None
        throttle.save(update_fields=["failures", "lockouts", "locked_until", "updated_at"])


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def address_key(ip_address: str | None) -> str:
    """The address a failure is counted against. An IPv6 subscriber holds a whole /64, so that is the unit."""
    if not ip_address:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _login_index(login: str) -> str:
    # Keyed, so a stored index cannot be reversed by hashing every phone number.
    return blind_index(login, purpose="login")


# Refused while every remaining failure of an address is taken by attempts still checking a password: one
# of them locks the address or gives its share back within moments.
_BUDGET_IN_USE_RETRY = timedelta(seconds=1)


@dataclass
class _AddressBudget:
    """One attempt's share of its address's failure budget, taken before the password check.

    `take` and `give_back` commit on their own (outside the attempt's transaction), so a parallel attempt
    sees the share at once while no row stays locked across a password check. A failure turns the share
    into a counted failure, inside the attempt's transaction; the failure that reaches the limit locks the
    address.
    """

    key: str
    now: datetime
    taken: bool = False
    refused_until: datetime | None = None

    def take(self) -> None:
        limit = settings.LOGIN_MAX_FAILURES_PER_ADDRESS
        with transaction.atomic():
            row = _throttle_for_update(scope=LoginThrottle.Scope.ADDRESS, key=self.key)
            self.refused_until = _locked_until(row, self.now)
            if self.refused_until is not None:
                return
            _throttle_renew(row, self.now)
            if row.failures + row.in_flight >= limit:
                self.refused_until = self.now + _BUDGET_IN_USE_RETRY
                return
            row.in_flight += 1
            row.save(update_fields=_THROTTLE_FIELDS)
            self.taken = True

    def keep(self) -> LoginThrottle | None:
        """The attempt failed: its share becomes a failure. The address row if this failure locked it
        (inside the attempt's transaction, with its log entry)."""
        row = _throttle_for_update(scope=LoginThrottle.Scope.ADDRESS, key=self.key)
        if self.taken:
            self.taken = False
            row.in_flight = max(0, row.in_flight - 1)
        if _locked_until(row, self.now) is not None:
            # A parallel failure locked the address while this attempt was checking its password.
            row.save(update_fields=_THROTTLE_FIELDS)
            return None
        locked = _throttle_fail(row, limit=settings.LOGIN_MAX_FAILURES_PER_ADDRESS, now=self.now)
        return row if locked else None

    def give_back(self) -> None:
        """Unless the attempt failed: its share was not a failure after all."""
        if not self.taken:
            return
        self.taken = False
        with transaction.atomic():
            row = _throttle_for_update(scope=LoginThrottle.Scope.ADDRESS, key=self.key)
            row.in_flight = max(0, row.in_flight - 1)
            row.save(update_fields=_THROTTLE_FIELDS)


@dataclass
class _Attempt:
    """The throttle rows of one attempt: the subject's, locked FOR UPDATE for the whole attempt, and the
    address's share taken before it (locked in that order, subject then address, so none deadlock)."""

    subject: LoginThrottle
    address: _AddressBudget
    max_subject_failures: int
    now: datetime

    def locked_until(self) -> datetime | None:
        times = [t for t in (_locked_until(self.subject, self.now), self.address.refused_until) if t]
        return max(times, default=None)

    def fail(self) -> tuple[bool, LoginThrottle | None]:
        """Count the failure; (subject locked?, address row if this failure locked it)."""
        subject_locked = _throttle_fail(self.subject, limit=self.max_subject_failures, now=self.now)
        return subject_locked, self.address.keep()


def _address_budget(key: str) -> _AddressBudget:
    budget = _AddressBudget(key=key, now=timezone.now())
    budget.take()
    return budget


def _lockout_log(
    *,
    attempt: _Attempt,
    subject_locked: bool,
    address: LoginThrottle | None,
    customer: Customer | None,
    origin: Origin,
    subject_details: dict[str, Any],
) -> LoginLocked | None:
    until: list[datetime] = []
    if subject_locked:
        assert attempt.subject.locked_until is not None
        until.append(attempt.subject.locked_until)
        security_log_record(
            event_type=EventType.LOGIN_LOCKED_OUT,
            actor=_SIGN_IN_ACTOR,
            customer=customer,
            origin=origin,
            details={
                **subject_details,
                "scope": attempt.subject.scope,
                "failures": attempt.subject.failures,
                "lockouts": attempt.subject.lockouts,
                "locked_until": attempt.subject.locked_until,
            },
        )
    if address is not None:
        assert address.locked_until is not None
        until.append(address.locked_until)
        # The address is not one customer's: its lock-out goes on the bank's chain.
        security_log_record(
            event_type=EventType.LOGIN_LOCKED_OUT,
            actor=_SIGN_IN_ACTOR,
            origin=origin,
            details={
                "scope": LoginThrottle.Scope.ADDRESS,
                "address": address.key,
                "failures": address.failures,
                "lockouts": address.lockouts,
                "locked_until": address.locked_until,
            },
        )
    if not until:
        return None
    return LoginLocked(retry_after=_retry_after(max(until), attempt.now))


# --- passwords --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _dummy_encoded_password(hashers: tuple[str, ...]) -> str:
    # `hashers` is the cache key: a dummy hashed under another hasher would be faster to refuse.
    return make_password(get_random_string(32))


def _password_matches(password: str, encoded: str | None, setter: Callable[[str], None] | None = None) -> bool:
    """check_password, or the same work against a dummy hash when there is no usable password, so an
    unknown login takes as long to refuse as a wrong password."""
    if encoded and is_password_usable(encoded):
        return check_password(password, encoded, setter)
    check_password(password, _dummy_encoded_password(tuple(settings.PASSWORD_HASHERS)))
    return False


# --- customers --------------------------------------------------------------------------------------


def _customer_by_login(login: str) -> tuple[Customer | None, str]:
    if PHONE_E164.fullmatch(login):
        return Customer.objects.filter(phone=login).first(), "phone"
    return Customer.objects.filter(customer_number=login).first(), "customer_number"


def _password_check(
    *,
    attempt: _Attempt,
    password: str,
    encoded: str | None,
    rehash: Callable[[str], None],
    failed: Callable[..., None],
    customer: Customer | None,
    origin: Origin,
    who: dict[str, Any],
) -> DomainError | None:
    """The throttled password check shared by customers and staff; None when the password is right.

    While locked out, the password is not even checked. A wrong password (or a login that names nobody,
    `encoded` None) counts against the subject and the address and may start a lock-out. A right one does
    not end the subject's run of failures: the caller clears it once every factor has passed, so a stolen
    password does not reset the count of guesses at the second factor.
    """
    locked_until = attempt.locked_until()
    if locked_until is not None:
        failed("locked_out", locked_until=locked_until)
        return LoginLocked(retry_after=_retry_after(locked_until, attempt.now))
    # Checked even for a login that names nobody (against a dummy hash): refusing it must take as long.
    matches = _password_matches(password, encoded, rehash)
    if encoded is None or not matches:
        return _attempt_failed(
            attempt=attempt,
            reason="unknown_login" if encoded is None else "wrong_password",
            failed=failed,
            customer=customer,
            origin=origin,
            who=who,
        )
    return None


def _attempt_failed(
    *,
    attempt: _Attempt,
    reason: str,
    failed: Callable[..., None],
    customer: Customer | None,
    origin: Origin,
    who: dict[str, Any],
) -> DomainError:
    """Count a failed attempt against the subject and the address, log it, and say what to answer."""
    subject_locked, address = attempt.fail()
    failed(reason, failures=attempt.subject.failures)
    locked = _lockout_log(
        attempt=attempt,
        subject_locked=subject_locked,
        address=address,
        customer=customer,
        origin=origin,
        subject_details=who,
    )
    return locked or InvalidCredentials()


def customer_sign_in(
    *, login: str, password: str, device_id: str, device_name: str, platform: str, origin: Origin
) -> CustomerSignIn:
    """Sign a customer in on a device and issue a token bound to it.

    Raises LoginLocked, InvalidCredentials or DeviceRevoked once the attempt's counters and log entries
    are committed.
    """
    budget = _address_budget(address_key(origin.ip_address))
    try:
        with transaction.atomic():
            outcome = _customer_sign_in_attempt(
                login=login.strip(),
                password=password,
                device_id=device_id,
                device_name=device_name,
                platform=platform,
                origin=origin,
                budget=budget,
            )
    finally:
        budget.give_back()
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def _customer_sign_in_attempt(
    *,
    login: str,
    password: str,
    device_id: str,
    device_name: str,
    platform: str,
    origin: Origin,
    budget: _AddressBudget,
) -> CustomerSignIn | DomainError:
    now = timezone.now()
    customer, login_kind = _customer_by_login(login)
    subject_key = f"customer:{customer.pk}" if customer is not None else f"login:{_login_index(login)}"
    attempt = _Attempt(
        subject=_throttle_for_update(scope=LoginThrottle.Scope.CUSTOMER, key=subject_key),
        address=budget,
        max_subject_failures=settings.LOGIN_MAX_FAILURES_PER_CUSTOMER,
        now=now,
    )
    # Who was tried, as far as the log may say: a login that names nobody may be a mistyped password.
    who: dict[str, Any] = {"login_kind": login_kind}
    if customer is None:
        who["login_index"] = _login_index(login)

    def failed(reason: str, **details: Any) -> None:
        security_log_record(
            event_type=EventType.LOGIN_FAILED,
            actor=_SIGN_IN_ACTOR,
            customer=customer,
            origin=origin,
            details={**who, "reason": reason, **details},
        )

    def rehash(raw: str) -> None:
        # The hasher or its cost changed since this password was set: store it under the current one.
        assert customer is not None
        customer.password = make_password(raw)
        customer.save(update_fields=["password"])

    refused = _password_check(
        attempt=attempt,
        password=password,
        encoded=customer.password if customer is not None else None,
        rehash=rehash,
        failed=failed,
        customer=customer,
        origin=origin,
        who=who,
    )
    if refused is not None:
        return refused
    assert customer is not None
    # The password is right: whatever follows, guessing it is over.
    _throttle_clear(attempt.subject)
    if not customer.is_active:
        failed("customer_inactive")
        return InvalidCredentials()

    device = Device.objects.filter(customer=customer, device_id=device_id).first()
    if device is not None and device.revoked_at is not None:
        failed("device_revoked", device_pk=device.pk)
        return DeviceRevoked()
    new_device = device is None
    if device is None:
        device = Device(customer=customer, device_id=device_id)
    device.name = device_name
    device.platform = platform
    device.save()  # last_seen_at is auto_now

    # One session per device: a new sign-in ends the device's earlier tokens.
    superseded = AuthToken.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=now)
    issued = auth_token_issue(customer=customer, device=device, ip_address=origin.ip_address)
    security_log_record(
        event_type=EventType.LOGIN_SUCCEEDED,
        actor=Actor.customer(customer),
        customer=customer,
        origin=origin,
        details={
            "login_kind": login_kind,
            "device_pk": device.pk,
            "device_name": device.name,
            "platform": device.platform,
            "new_device": new_device,
            "token_id": issued.token.pk,
            "superseded_tokens": superseded,
        },
    )
    if new_device:
        # A stolen password shows up as a sign-in from an unknown phone: tell the customer on both channels.
        notification_queue(
            customer=customer,
            template="login_new_device",
            params={"device_name": device.name or device.platform or device_id[:16]},
            channels=["push", "sms"],
        )
    return CustomerSignIn(issued=issued, customer=customer, device=device)


# --- staff ------------------------------------------------------------------------------------------


class StaffTotpNotEnrolled(NotPermitted):
    default_code = "totp_not_enrolled"
    default_detail = "This staff account has no authenticator yet. Ask an administrator to enrol one."


class NotAnAdministrator(NotPermitted):
    default_code = "not_an_administrator"
    default_detail = "This staff account may not use the admin site."


# One answer for a wrong login, password or authenticator code: none of them tells which was wrong.
_STAFF_INVALID = "The username, the password or the authenticator code is wrong."


def _staff_refusal(outcome: DomainError) -> DomainError:
    return InvalidCredentials(_STAFF_INVALID) if type(outcome) is InvalidCredentials else outcome


def _staff_attempt(*, username: str, password: str, totp: str, origin: Origin, permission: str, scope: str) -> Any:
    """The staff sign-in shared by the agent API (a token), the admin site and the console (sessions); the user or the
    refusal to raise."""
    # A call centre signs in from few addresses: its typos must not lock customers out, nor theirs it.
    budget = _address_budget("staff:" + address_key(origin.ip_address))
    try:
        with transaction.atomic():
            outcome = _staff_sign_in_attempt(
                username=username, password=password, totp=totp, origin=origin, permission=permission, budget=budget
            )
            if not isinstance(outcome, DomainError):
                token_id = None
                if scope == "staff":
                    outcome = auth_token_issue(staff_user=outcome, ip_address=origin.ip_address)
                    token_id = outcome.token.pk
                user = outcome.token.staff_user if token_id is not None else outcome
                get_user_model()._default_manager.filter(pk=user.pk).update(last_login=timezone.now())
                details: dict[str, Any] = {"scope": scope, "staff_user": user.pk}
                if token_id is not None:
                    details["token_id"] = token_id
                security_log_record(
                    event_type=EventType.LOGIN_SUCCEEDED, actor=Actor.agent(user), origin=origin, details=details
                )
    finally:
        budget.give_back()
    if isinstance(outcome, DomainError):
        raise _staff_refusal(outcome)
    return outcome


def staff_sign_in(*, username: str, password: str, totp: str, origin: Origin) -> IssuedToken:
    """Sign a call-centre agent in with password and authenticator code. The token is not bound to a device
    (agents use bank desktops) and lapses after STAFF_TOKEN_IDLE_TIMEOUT without use.

    Raises LoginLocked, InvalidCredentials, NotAnAgent or StaffTotpNotEnrolled once the attempt's counters
    and log entries are committed.
    """
    issued: IssuedToken = _staff_attempt(
        username=username, password=password, totp=totp, origin=origin, permission=AGENT_ACCESS, scope="staff"
    )
    return issued


def staff_admin_sign_in(*, username: str, password: str, totp: str, origin: Origin) -> Any:
    """The same throttled password + authenticator check for the admin site; returns the user for a session.

    Only the administrator role passes (admin_site); an agent, supervisor or superuser without it does not.
    """
    return _staff_attempt(
        username=username, password=password, totp=totp, origin=origin, permission=ADMIN_SITE, scope="admin_site"
    )


def staff_console_sign_in(*, username: str, password: str, totp: str, origin: Origin) -> Any:
    """The same throttled password + authenticator check for the agent console; returns the user, whose browser
    session the console then starts (the console is not an API client: no token is issued)."""
    return _staff_attempt(
        username=username, password=password, totp=totp, origin=origin, permission=AGENT_ACCESS, scope="console"
    )


@transaction.atomic
def staff_console_sign_out(*, user: Any, origin: Origin, reason: str) -> None:
    """Log the end of a console session: signed out, or ended after inactivity ("idle")."""
    security_log_record(
        event_type=EventType.LOGOUT,
        actor=Actor.agent(user),
        origin=origin,
        details={"scope": "console", "staff_user": user.pk, "reason": reason},
    )


def _staff_sign_in_attempt(
    *, username: str, password: str, totp: str, origin: Origin, permission: str, budget: _AddressBudget
) -> Any:
    now = timezone.now()
    user_model = get_user_model()
    user: Any = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    subject_key = f"user:{user.pk}" if user is not None else f"login:{_login_index(username)}"
    attempt = _Attempt(
        subject=_throttle_for_update(scope=LoginThrottle.Scope.STAFF, key=subject_key),
        address=budget,
        max_subject_failures=settings.LOGIN_MAX_FAILURES_PER_CUSTOMER,
        now=now,
    )
    who: dict[str, Any] = {"staff_user": user.pk} if user is not None else {"login_index": _login_index(username)}

    def failed(reason: str, **details: Any) -> None:
        # Staff are not customers: their sign-ins go on the bank's chain.
        security_log_record(
            event_type=EventType.LOGIN_FAILED,
            actor=_SIGN_IN_ACTOR,
            origin=origin,
            details={"scope": "staff", **who, "reason": reason, **details},
        )

    def rehash(raw: str) -> None:
        user.set_password(raw)
        user.save(update_fields=["password"])

    refused = _password_check(
        attempt=attempt,
        password=password,
        encoded=user.password if user is not None else None,
        rehash=rehash,
        failed=failed,
        customer=None,
        origin=origin,
        who=who,
    )
    if refused is not None:
        return refused
    if not user.is_active:
        failed("staff_inactive")
        return InvalidCredentials()
    if not staff_has(user, permission):
        failed("no_agent_access" if permission == AGENT_ACCESS else "no_admin_site")
        return NotAnAgent() if permission == AGENT_ACCESS else NotAnAdministrator()
    authenticator = StaffAuthenticator.objects.select_for_update().filter(user=user).first()
    if authenticator is None:
        failed("totp_not_enrolled")
        return StaffTotpNotEnrolled()
    # The TOTP arithmetic and replay guard of the customers' OTP core; the guesses are counted by this
    # sign-in's throttle, whose row is locked FOR UPDATE across the check, so parallel guesses queue.
    step = totp_match_step(secret=authenticator.secret, code=totp.strip(), at=now)
    if step is None or (authenticator.last_accepted_step is not None and step <= authenticator.last_accepted_step):
        return _attempt_failed(
            attempt=attempt,
            reason="wrong_totp" if step is None else "replayed_totp",
            failed=failed,
            customer=None,
            origin=origin,
            who=who,
        )
    authenticator.last_accepted_step = step
    authenticator.last_used_at = now
    authenticator.save(update_fields=["last_accepted_step", "last_used_at"])
    # Both factors passed: the run of failures ends.
    _throttle_clear(attempt.subject)
    return user


# --- sign-out and devices ---------------------------------------------------------------------------


def _token_owner(token: AuthToken) -> Actor:
    return Actor.customer(token.customer) if token.customer_id is not None else Actor.agent(token.staff_user)


@transaction.atomic
def token_sign_out(*, token: AuthToken, origin: Origin) -> None:
    """End the session of `token` (customer or staff). Signing out twice is harmless."""
    if not auth_token_revoke(token=token):
        return
    security_log_record(
        event_type=EventType.LOGOUT,
        actor=_token_owner(token),
        customer=token.customer,
        origin=origin,
        details={"token_id": token.pk},
    )


@transaction.atomic
def device_revoke(*, device: Device, actor: Actor, origin: Origin) -> Device:
    """Remove a device from the customer's account: it can no longer sign in and its tokens stop working.

    Revoking makes the account safer, so it takes effect at once and needs no one-time password.
    """
    device = Device.objects.select_for_update().select_related("customer").get(pk=device.pk)
    now = timezone.now()
    tokens = list(AuthToken.objects.select_for_update().filter(device=device, revoked_at__isnull=True))
    AuthToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
    for token in tokens:
        security_log_record(
            event_type=EventType.TOKEN_REVOKED,
            actor=actor,
            customer=device.customer,
            origin=origin,
            details={"token_id": token.pk, "device_pk": device.pk, "reason": "device_revoked"},
        )
    if device.revoked_at is None:
        device.revoked_at = now
        device.trusted = False
        device.save(update_fields=["revoked_at", "trusted"])
        security_log_record(
            event_type=EventType.DEVICE_REVOKED,
            actor=actor,
            customer=device.customer,
            origin=origin,
            details={"device_pk": device.pk, "device_name": device.name, "platform": device.platform},
            old_value={"revoked": False},
            new_value={"revoked": True, "tokens_revoked": len(tokens)},
        )
    return device


@transaction.atomic
def customer_sessions_revoke(
    *, customer: Customer, actor: Actor, origin: Origin, reason: str, keep_device: Device | None = None
) -> list[AuthToken]:
    """End every live session of the customer except those of `keep_device` (the phone in the customer's
    hand); the devices may sign in again with the password. Each ended session is security-logged."""
    tokens = AuthToken.objects.select_for_update().filter(customer=customer, revoked_at__isnull=True)
    if keep_device is not None:
        tokens = tokens.exclude(device=keep_device)
    ended = list(tokens.order_by("pk"))
    AuthToken.objects.filter(pk__in=[t.pk for t in ended]).update(revoked_at=timezone.now())
    for token in ended:
        security_log_record(
            event_type=EventType.TOKEN_REVOKED,
            actor=actor,
            customer=customer,
            origin=origin,
            details={"token_id": token.pk, "device_pk": token.device_id, "reason": reason},
        )
    return ended


def device_list(*, customer: Customer) -> QuerySet[Device]:
    """The customer's devices, most recently used first, revoked ones included (the customer sees them)."""
    return Device.objects.filter(customer=customer).order_by("-last_seen_at", "-pk")
