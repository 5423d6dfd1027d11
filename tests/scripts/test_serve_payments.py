"""scripts/serve_payments.sh: the payment core's own server, on a port of its own, serving the hot path and
the health check and nothing else; serve.sh refuses an application it does not know."""

import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.scripts.test_production_scripts import REPO, free_port, http_status, production_env, started, wait_for


def post_status(url: str) -> int | None:
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - a loopback URL of the test's own
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.integration
def test_serve_payments_runs_the_payment_core_stack_on_its_own_port(tmp_path):
    port = free_port()
    env = production_env(tmp_path, WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS="1")
    log = tmp_path / "serve_payments.log"
    base = f"http://127.0.0.1:{port}"
    with started("serve_payments.sh", env, log) as proc:
        wait_for(lambda: http_status(f"{base}/healthz") is not None, timeout=60, what="the server", log=log)
        assert proc.poll() is None
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"securitycenter.wsgi_payments:application" in command, command
        # The hot path answers (no key: 401 from its own view); a customer's endpoint is not there at all.
        assert post_status(f"{base}/api/v1/authorizations") == 401
        assert http_status(f"{base}/api/v1/auth/me") == 404
        assert http_status(f"{base}/api/docs/") == 404


def test_serve_refuses_an_unknown_application(tmp_path):
    env = production_env(tmp_path, WEB_APP="everything")
    result = subprocess.run(
        [str(REPO / "scripts" / "serve.sh")], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "WEB_APP=everything is not an application this script knows (service, payments)."


def test_the_payment_entry_refuses_the_service_settings(tmp_path):
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="securitycenter.settings")
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-c", "import securitycenter.wsgi_payments"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "set DJANGO_SETTINGS_MODULE=securitycenter.settings_payments" in result.stderr
