from datetime import timedelta

import pytest
from django.utils import timezone

from console.access import SESSION_SEEN
from securitycenter.securitylog.models import EventType, SecurityEvent

pytestmark = pytest.mark.django_db


def test_sign_in_with_password_and_code_opens_the_queue_and_shows_who_and_role(console_agent):
    response = console_agent.sign_in()
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    page = console_agent.get("/console/").content.decode()
    assert console_agent.user.username in page
    assert "坐席" in page  # the role, in Chinese by default
    event = SecurityEvent.objects.filter(event_type=EventType.LOGIN_SUCCEEDED).get()
    assert event.details["scope"] == "console"


def test_a_wrong_code_is_refused_in_words(console_agent):
    token = console_agent.csrf()
    response = console_agent.client.post(
        "/console/sign-in",
        {"username": console_agent.user.username, "password": "correct horse battery staple", "totp": "000000"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400
    assert "用户名、密码或动态验证码不正确" in response.content.decode()
    assert console_agent.get("/console/").status_code == 302


def test_sign_in_without_the_csrf_token_is_refused(console_agent):
    console_agent.client.get("/console/sign-in")
    response = console_agent.client.post(
        "/console/sign-in", {"username": console_agent.user.username, "password": "x", "totp": "123456"}
    )
    assert response.status_code == 403


def test_inactivity_signs_the_agent_out(console_agent):
    console_agent.sign_in()
    session = console_agent.client.session
    session[SESSION_SEEN] = (timezone.now() - timedelta(minutes=11)).isoformat()
    session.save()
    response = console_agent.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/sign-in?reason=idle")
    assert SecurityEvent.objects.filter(event_type=EventType.LOGOUT, details__reason="idle").exists()
    assert console_agent.get("/console/").status_code == 302


def test_sign_out_ends_the_session(console_agent):
    console_agent.sign_in()
    response = console_agent.post("/console/sign-out")
    assert response.status_code == 302
    assert console_agent.get("/console/").status_code == 302
    assert SecurityEvent.objects.filter(event_type=EventType.LOGOUT, details__reason="signed_out").exists()


def test_english_is_available(console_agent):
    console_agent.sign_in()
    console_agent.post("/console/language", {"language": "en", "next": "/console/"})
    page = console_agent.get("/console/").content.decode()
    assert "Call-back queue" in page
    assert '<html lang="en">' in page


def test_a_console_page_leaves_the_threads_time_zone_and_language_as_they_were(console_agent):
    from django.utils import timezone, translation

    console_agent.sign_in()
    console_agent.get("/console/")
    assert timezone.get_current_timezone_name() == "UTC"
    with translation.override("en"):
        console_agent.get("/console/")
        assert translation.get_language() == "en"
