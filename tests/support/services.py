"""Where the tests' own service instances are, so that several test runs can share one machine.

scripts/test.sh picks them: the test Redis database (TEST_REDIS_URL, as REDIS_URL) and the Redis database a
real Celery worker's broker uses (TEST_BROKER_REDIS_URL). Both are flushed by the tests that use them.
"""

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings


def cache_redis_url() -> str:
    return str(settings.REDIS_URL)


def broker_redis_url() -> str:
    return os.environ.get("TEST_BROKER_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_db(url: str) -> int:
    return int(urlparse(url).path.lstrip("/") or 0)


RABBITMQ_HOST = ("127.0.0.1", 5672)


def rabbitmq_reachable() -> bool:
    try:
        socket.create_connection(RABBITMQ_HOST, timeout=1).close()
    except OSError:
        return False
    return shutil.which("rabbitmqctl") is not None


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def broker_url(kind: str) -> Iterator[str]:
    """A fresh, empty broker for real Celery processes: the tests' Redis database, or a RabbitMQ vhost named
    after this run (`sc_<database>_<pid>`), created here and deleted afterwards, never the default vhost.

    Where RabbitMQ is missing its tests are skipped, except in CI, which must run them (scripts/test.sh
    starts it)."""
    if kind == "redis":
        url = broker_redis_url()
        client = redis.Redis.from_url(url)
        client.flushdb()
        try:
            yield url
        finally:
            client.flushdb()
            client.close()
        return
    assert kind == "rabbitmq", kind
    if not rabbitmq_reachable():
        if os.environ.get("CI"):
            pytest.fail("RabbitMQ is not reachable on 127.0.0.1:5672 (scripts/test.sh starts it)")
        pytest.skip("RabbitMQ is not reachable on 127.0.0.1:5672")
    database = str(settings.DATABASES["default"]["NAME"]).rsplit("/", 1)[-1]
    vhost = f"sc_{database}_{os.getpid()}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@{RABBITMQ_HOST[0]}:{RABBITMQ_HOST[1]}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)
