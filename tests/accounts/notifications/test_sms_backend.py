"""The SMS backend: production refuses to start without one that delivers; development prints codes."""

import io
import subprocess
import sys

import pytest

from accounts.notifications.backends import ConsoleBackend, OutboundMessage
from tests.securitycenter.test_settings import ROOT, _manage, _production_env


@pytest.mark.parametrize(
    "value", ["", "accounts.notifications.backends.RecordingBackend", "accounts.notifications.backends.ConsoleBackend"]
)
def test_production_refuses_to_start_without_a_real_sms_backend(value):
    result = _manage("check", env=_production_env(NOTIFICATION_SMS_BACKEND=value))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("NOTIFICATION_SMS_BACKEND")


def test_production_starts_with_a_real_sms_backend():
    result = _manage("check", env=_production_env(NOTIFICATION_SMS_BACKEND="bank.sms.GatewayBackend"))
    assert result.returncode == 0, result.stderr


def test_development_prints_sms_codes_to_the_console():
    env = {k: v for k, v in _production_env().items() if k != "NOTIFICATION_SMS_BACKEND"}
    env["DEBUG"] = "1"
    code = "from django.conf import settings; print(settings.NOTIFICATION_BACKENDS['sms'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "accounts.notifications.backends.ConsoleBackend", result.stderr


def test_the_console_backend_shows_the_code_and_the_recipient():
    stream = io.StringIO()
    message = OutboundMessage(7, "sms", "sms_code", "+8613800000000", "", "Your code is 271828.")
    ConsoleBackend(stream=stream).send(message)
    assert "+8613800000000" in stream.getvalue()
    assert "271828" in stream.getvalue()
