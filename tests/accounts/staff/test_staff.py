"""Staff: roles, the `staff` command, sign-in with password and authenticator, idle expiry, the admin site."""

import io
import re
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import LoginThrottle, StaffAuthenticator
from accounts.roles import staff_has, staff_roles
from accounts.signin import InvalidCredentials, LoginLocked, NotAnAgent, StaffTotpNotEnrolled, staff_sign_in
from accounts.tokens import TokenInvalid, auth_token_issue, auth_token_resolve
from securitycenter.errors import DomainError
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import DEFAULT_PASSWORD, DeviceFactory, StaffUserFactory, staff_totp

pytestmark = pytest.mark.django_db
HERE = Origin(ip_address="10.1.2.3")
STRONG = "a long staff passphrase 42"


@contextmanager
def clock_moved(delta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


def refusal(username, password=DEFAULT_PASSWORD, totp=None):
    with pytest.raises(DomainError) as excinfo:
        staff_sign_in(username=username, password=password, totp=totp or staff_totp(), origin=HERE)
    return excinfo.value


# --- the staff command --------------------------------------------------------------------------------


def run_staff(*args, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)):
        call_command("staff", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_staff_create_sets_roles_and_shows_the_authenticator_once():
    out, err = run_staff("create", "alice", "--role", "agent", "--password-stdin", stdin=STRONG + "\n")
    user = get_user_model().objects.get(username="alice")
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert staff_roles(user) == ["agent"]
    # stdout carries the URI alone, so a script can capture it; the secret is the authenticator's.
    uri = out.strip()
    assert re.fullmatch(r"otpauth://totp/.+\?secret=[A-Z2-7]+.*", uri)
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    assert StaffAuthenticator.objects.get(user=user).secret == secret
    assert "shown only this once" in err
    assert secret not in err
    issued = staff_sign_in(username="alice", password=STRONG, totp=pyotp.TOTP(secret).now(), origin=HERE)
    assert issued.token.staff_user == user
    logged = set(SecurityEvent.objects.filter(chain="bank").values_list("event_type", flat=True))
    assert {EventType.STAFF_CREATED, EventType.STAFF_ROLES_CHANGED, EventType.STAFF_TOTP_ENROLLED} <= logged
    assert not SecurityEvent.objects.filter(details__icontains=secret).exists()


def test_staff_roles_totp_list_and_deactivate():
    run_staff("create", "bob", "--role", "agent", "--password-stdin", stdin=STRONG)
    run_staff("roles", "bob", "--role", "supervisor", "--role", "auditor")
    user = get_user_model().objects.get(username="bob")
    assert staff_roles(user) == ["supervisor", "auditor"]
    [change] = SecurityEvent.objects.filter(event_type=EventType.STAFF_ROLES_CHANGED, details__username="bob")[1:]
    assert (change.old_value, change.new_value) == ({"roles": ["agent"]}, {"roles": ["supervisor", "auditor"]})

    old_secret = StaffAuthenticator.objects.get(user=user).secret
    out, _ = run_staff("totp", "bob")
    new_secret = re.search(r"secret=([A-Z2-7]+)", out).group(1)
    assert new_secret != old_secret
    # The old authenticator stops working at once.
    assert isinstance(refusal("bob", STRONG, pyotp.TOTP(old_secret).now()), InvalidCredentials)

    listing, _ = run_staff("list")
    assert "bob  supervisor,auditor  totp  active" in listing
    run_staff("deactivate", "bob")
    assert not get_user_model().objects.get(username="bob").is_active
    assert isinstance(refusal("bob", STRONG, pyotp.TOTP(new_secret).now()), InvalidCredentials)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "carol", "--role", "agent", "--password-stdin"), "too short"),
        (("roles", "nobody", "--role", "agent"), "No staff user"),
        (("totp", "nobody"), "No staff user"),
    ],
)
def test_staff_command_refusals(args, message):
    with pytest.raises(CommandError, match=message):
        run_staff(*args, stdin="short")
    assert not get_user_model().objects.filter(username="carol").exists()


def test_unknown_role_is_refused():
    with pytest.raises(CommandError):
        run_staff("create", "dave", "--role", "root", "--password-stdin", stdin=STRONG)
    assert not get_user_model().objects.filter(username="dave").exists()


# --- createsuperuser is not an agent -------------------------------------------------------------------


def test_a_superuser_is_not_an_agent():
    get_user_model().objects.create_superuser("root", password=DEFAULT_PASSWORD)
    StaffAuthenticator.objects.create(user=get_user_model().objects.get(username="root"), secret=pyotp.random_base32())
    assert isinstance(refusal("root"), NotAnAgent)
    root = get_user_model().objects.get(username="root")
    assert not any(staff_has(root, p) for p in ("agent_access", "freeze_features", "approve_unfreeze", "admin_site"))


# --- sign-in with the authenticator -------------------------------------------------------------------


def test_wrong_code_gets_the_same_answer_as_a_wrong_password():
    agent = StaffUserFactory(groups=["agent"])
    wrong_code = refusal(agent.username, totp="000000" if staff_totp() != "000000" else "111111")
    wrong_password = refusal(agent.username, password="wrong")
    unknown = refusal("nobody")
    assert type(wrong_code) is type(wrong_password) is type(unknown) is InvalidCredentials
    assert wrong_code.detail == wrong_password.detail == unknown.detail
    [reason] = SecurityEvent.objects.filter(event_type=EventType.LOGIN_FAILED, details__reason="wrong_totp")
    assert reason.details["staff_user"] == agent.pk


def test_a_code_is_accepted_once():
    agent = StaffUserFactory(groups=["agent"])
    code = staff_totp()
    staff_sign_in(username=agent.username, password=DEFAULT_PASSWORD, totp=code, origin=HERE)
    assert isinstance(refusal(agent.username, totp=code), InvalidCredentials)
    assert SecurityEvent.objects.filter(details__reason="replayed_totp").count() == 1


def test_guessing_codes_with_the_right_password_locks_the_account(settings):
    """The right password must not reset the count of wrong codes, or a stolen password guesses forever."""
    agent = StaffUserFactory(groups=["agent"])
    wrong = "000000" if staff_totp() != "000000" else "111111"
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_CUSTOMER - 1):
        assert isinstance(refusal(agent.username, totp=wrong), InvalidCredentials)
    assert isinstance(refusal(agent.username, totp=wrong), LoginLocked)
    # Locked: even the right code does not get in now.
    assert isinstance(refusal(agent.username), LoginLocked)
    assert LoginThrottle.objects.get(scope="staff", key=f"user:{agent.pk}").locked_until is not None


def test_a_right_sign_in_ends_the_run_of_failures():
    agent = StaffUserFactory(groups=["agent"])
    refusal(agent.username, password="wrong")
    staff_sign_in(username=agent.username, password=DEFAULT_PASSWORD, totp=staff_totp(), origin=HERE)
    assert LoginThrottle.objects.get(scope="staff", key=f"user:{agent.pk}").failures == 0


def test_staff_without_an_authenticator_cannot_sign_in():
    agent = StaffUserFactory(groups=["agent"], authenticator=False)
    assert isinstance(refusal(agent.username), StaffTotpNotEnrolled)


def test_the_api_names_a_missing_or_malformed_code(client):
    agent = StaffUserFactory(groups=["agent"])
    for body in (
        {"username": agent.username, "password": DEFAULT_PASSWORD},
        {"username": "x", "password": "y", "totp": "12"},
    ):
        response = client.post("/api/v1/agent/auth/login", body, content_type="application/json")
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["totp"]


# --- inactivity -------------------------------------------------------------------------------------


def test_staff_tokens_lapse_after_the_staff_idle_timeout(settings):
    settings.STAFF_TOKEN_IDLE_TIMEOUT = timedelta(minutes=10)
    settings.TOKEN_IDLE_TIMEOUT = timedelta(minutes=15)
    staff = auth_token_issue(staff_user=StaffUserFactory(groups=["agent"]), ip_address=None)
    device = DeviceFactory()
    customer = auth_token_issue(customer=device.customer, device=device, ip_address=None)
    with clock_moved(timedelta(minutes=11)):
        with pytest.raises(TokenInvalid, match="idle_timeout"):
            auth_token_resolve(raw=staff.raw, device_id=None)
        assert auth_token_resolve(raw=customer.raw, device_id=device.device_id)


# --- the admin site ------------------------------------------------------------------------------------


def admin_login(client, user, code=None, password=DEFAULT_PASSWORD):
    return client.post(
        "/staff-admin/login/?next=/staff-admin/",
        {"username": user.username, "password": password, "totp": code or staff_totp()},
    )


def test_admin_site_needs_password_and_code_and_the_administrator_role():
    administrator = StaffUserFactory(groups=["administrator"])
    client = Client()
    assert client.get("/staff-admin/").status_code == 302  # to the login page
    page = client.get("/staff-admin/login/")
    assert b'name="totp"' in page.content
    bad = admin_login(client, administrator, code="000000" if staff_totp() != "000000" else "111111")
    assert bad.status_code == 200
    assert b"authenticator code is wrong" in bad.content
    assert client.get("/staff-admin/").status_code == 302
    assert admin_login(client, administrator).status_code == 302
    assert client.get("/staff-admin/").status_code == 200
    [signed_in] = SecurityEvent.objects.filter(event_type=EventType.LOGIN_SUCCEEDED, details__scope="admin_site")
    assert signed_in.actor_id == str(administrator.pk)


@pytest.mark.parametrize("who", ["agent", "supervisor", "superuser"])
def test_admin_site_refuses_everyone_else(who):
    user = StaffUserFactory(is_superuser=True) if who == "superuser" else StaffUserFactory(groups=[who])
    client = Client()
    response = admin_login(client, user)
    assert response.status_code == 200
    assert b"may not use the admin site" in response.content
    assert client.get("/staff-admin/").status_code == 302


def test_admin_session_lapses_after_inactivity(settings):
    administrator = StaffUserFactory(groups=["administrator"])
    client = Client()
    admin_login(client, administrator)
    assert client.get("/staff-admin/").status_code == 200
    with clock_moved(settings.STAFF_TOKEN_IDLE_TIMEOUT + timedelta(seconds=5)):
        assert client.get("/staff-admin/").status_code == 302


def test_admin_cannot_change_or_delete_the_log_or_a_decision():
    from tests.factories import AuthorizationFactory

    administrator = StaffUserFactory(groups=["administrator"])
    client = Client()
    admin_login(client, administrator)
    event = SecurityEvent.objects.filter(chain="bank").last()
    decision = AuthorizationFactory()
    for url, obj in (
        ("/staff-admin/securitylog/securityevent/", event),
        ("/staff-admin/locks/authorization/", decision),
    ):
        assert client.get(url).status_code == 200
        detail = client.get(f"{url}{obj.pk}/change/")
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content
        assert client.post(f"{url}{obj.pk}/change/", {"details": "{}"}).status_code == 403
        assert client.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"{url}add/").status_code == 403
        bulk = client.post(url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
        assert bulk.status_code in {200, 302}
    assert SecurityEvent.objects.filter(pk=event.pk, hash=event.hash).exists()
    decision.refresh_from_db()
    assert decision.outcome == "approve"


def test_admin_changes_roles_through_the_logged_service():
    administrator = StaffUserFactory(groups=["administrator"])
    agent = StaffUserFactory(groups=["agent"])
    client = Client()
    admin_login(client, administrator)
    response = client.post(
        f"/staff-admin/auth/user/{agent.pk}/change/", {"roles": ["agent", "supervisor"], "is_active": "on"}
    )
    assert response.status_code == 302, response.content
    assert staff_roles(agent) == ["agent", "supervisor"]
    change = SecurityEvent.objects.filter(event_type=EventType.STAFF_ROLES_CHANGED).last()
    assert change.actor_id == str(administrator.pk)
    assert change.new_value == {"roles": ["agent", "supervisor"]}
