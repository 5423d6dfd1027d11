"""Production settings: refuse to start without real secrets; `check --deploy` is clean."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parents[2]


def _checkpoint_verify_key() -> str:
    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(public).decode()


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="securitycenter.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        SECURITY_LOG_KEYS=f"k1:{secrets.token_urlsafe(32)}",
        SECURITY_LOG_CHECKPOINT_VERIFY_KEYS=_checkpoint_verify_key(),
        NOTIFICATION_SMS_BACKEND="tests.support.sms_gateway.GatewayBackend",
        ALLOWED_HOSTS="securitycenter.bank.example",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_without_warnings_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "SECURITY_LOG_KEYS",
        "SECURITY_LOG_CHECKPOINT_VERIFY_KEYS",
    ],
)
def test_refuses_to_start_without_each_secret(missing):
    result = _manage("check", env=_production_env(**{missing: ""}))
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "short"),
        ("FIELD_ENCRYPTION_KEYS", "ZGV2LW9ubHktZmllbGQta2V5LTAxMjM0NTY3ODlhYmM="),
        ("BLIND_INDEX_KEY", "dev-only-blind-index-key"),
        ("SECURITY_LOG_KEYS", "dev:dev-only-security-log-key-0123456789abcdef"),
        ("SECURITY_LOG_KEYS", "k1:too-short"),
        ("SECURITY_LOG_KEYS", "no-key-id-here-but-long-enough-to-be-a-secret"),
        ("SECURITY_LOG_CHECKPOINT_VERIFY_KEYS", "HkpsyHBIkUJ7WlB9dxvnVEORKAw+5E+Mx3CB8O1HVEA="),
        ("SECURITY_LOG_CHECKPOINT_SIGNING_KEY", "ZGV2LW9ubHktY2hlY2twb2ludC1zaWduaW5nLWtleSE="),
    ],
)
def test_refuses_development_or_weak_secrets_in_production(name, value):
    result = _manage("check", env=_production_env(**{name: value}))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(name)
    assert "for development set DEBUG=1" in result.stderr


def test_demo_data_is_refused_with_debug_off():
    result = _manage("seed_demo", env=_production_env(DATABASE_URL="sqlite:////tmp/never-created.sqlite3"))
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def _operations_commands() -> list[str]:
    """The commands of the README's Operations table, as a newcomer would copy them."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Operations", 1)[1].split("\n## ", 1)[0]
    return sorted({m.split()[0] for m in re.findall(r"^\| `manage\.py ([a-z_]+)[^`]*` \|", section, re.M)})


def test_the_readme_lists_the_operations_commands():
    assert {"verify_security_log", "rotate_encryption_keys", "api_keys", "rebuild_policies"} <= set(
        _operations_commands()
    )


@pytest.mark.parametrize("command", _operations_commands())
def test_an_operations_command_in_a_fresh_clone_says_in_one_sentence_what_to_set(command):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        env.pop(name, None)
    result = _manage(command, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DEBUG=1" in lines[0]
    assert "README.md" in lines[0]
