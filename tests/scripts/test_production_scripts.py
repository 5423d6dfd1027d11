"""scripts/serve.sh, worker.sh and beat.sh: they start what production runs, with the settings' limits, and
a missing setting is one sentence, not a traceback."""

import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.services import broker_redis_url, cache_redis_url

REPO = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        BLIND_INDEX_KEY=secrets.token_urlsafe(32),
        SECURITY_LOG_KEYS=f"k1:{secrets.token_urlsafe(32)}",
        SECURITY_LOG_CHECKPOINT_VERIFY_KEYS=base64.b64encode(
            Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode(),
        NOTIFICATION_SMS_BACKEND="tests.support.sms_gateway.GatewayBackend",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        REDIS_URL=cache_redis_url(),
        CELERY_BROKER_URL=broker_redis_url(),
        CELERY_TASK_ALWAYS_EAGER="0",
        PATH=f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def started(script: str, env: dict[str, str], log: Path):
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(REPO / "scripts" / script)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_for(predicate, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback URL of the test's own
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.integration
def test_serve_starts_gunicorn_with_the_workers_from_the_environment(tmp_path):
    port = free_port()
    env = production_env(tmp_path, WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS="3")
    log = tmp_path / "serve.log"
    with started("serve.sh", env, log) as proc:
        wait_for(
            lambda: http_status(f"http://127.0.0.1:{port}/healthz") is not None, timeout=60, what="the server", log=log
        )
        assert proc.poll() is None
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert any(part.endswith(b"gunicorn") for part in command), command  # exec'd: the script is the server
        assert b"scripts/gunicorn.conf.py" in command
        assert (
            len(
                wait_for(
                    lambda: len(children(proc.pid)) == 3 and children(proc.pid), timeout=30, what="3 workers", log=log
                )
            )
            == 3
        )
        # An unknown route answers through Django (a problem document), so the app is what is being served.
        assert http_status(f"http://127.0.0.1:{port}/api/v1/no-such-route") == 404


@pytest.mark.integration
def test_worker_serves_every_queue_with_the_concurrency_from_the_environment(tmp_path):
    env = production_env(tmp_path, WORKER_CONCURRENCY="1", WORKER_NAME=f"scripts-test-{os.getpid()}@%h")
    log = tmp_path / "worker.log"
    with started("worker.sh", env, log) as proc:
        text = wait_for(
            lambda: " ready." in (t := log.read_text(errors="replace")) and t, timeout=60, what="the worker", log=log
        )
        assert proc.poll() is None
        assert "concurrency: 1 (prefork)" in text
        for queue in ("celery", "holds", "webhooks"):
            assert f".> {queue} " in text, text


@pytest.mark.integration
def test_beat_starts_with_its_schedule_file(tmp_path):
    schedule = tmp_path / "beat" / "schedule"
    env = production_env(tmp_path, BEAT_SCHEDULE_FILE=str(schedule))
    log = tmp_path / "beat.log"
    with started("beat.sh", env, log) as proc:
        wait_for(lambda: "beat: Starting" in log.read_text(errors="replace"), timeout=60, what="beat", log=log)
        assert proc.poll() is None
        wait_for(lambda: list(schedule.parent.iterdir()), timeout=30, what="the schedule file", log=log)


@pytest.mark.parametrize("script", ["serve.sh", "worker.sh", "beat.sh"])
def test_a_missing_secret_is_one_sentence_not_a_traceback(tmp_path, script):
    env = production_env(tmp_path, SECRET_KEY="")
    result = subprocess.run(
        [str(REPO / "scripts" / script)], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "SECRET_KEY must be set in the environment when DEBUG is off (for development set DEBUG=1; "
        "README.md, Configuration, lists what production needs)."
    ]
