import pytest
import redis
from django.conf import settings
from django.db import connection


@pytest.fixture(autouse=True)
def _clean_redis():
    """Every test starts with an empty test Redis database (DB 15, never the service's own)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _security_log_checkpoints(settings, tmp_path):
    """Each test's signed security-log checkpoints in a directory of its own (they outlive the database)."""
    settings.SECURITY_LOG_CHECKPOINT_DIR = str(tmp_path / "security-log-checkpoints")


@pytest.fixture
def redis_client(_clean_redis):
    return _clean_redis


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
