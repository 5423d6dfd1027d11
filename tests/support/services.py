"""Where the tests' own service instances are, so that several test runs can share one machine.

scripts/test.sh picks them: the test Redis database (TEST_REDIS_URL, as REDIS_URL) and the Redis database a
real Celery worker's broker uses (TEST_BROKER_REDIS_URL). Both are flushed by the tests that use them.
"""

import os
from urllib.parse import urlparse

from django.conf import settings


def cache_redis_url() -> str:
    return str(settings.REDIS_URL)


def broker_redis_url() -> str:
    return os.environ.get("TEST_BROKER_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_db(url: str) -> int:
    return int(urlparse(url).path.lstrip("/") or 0)
