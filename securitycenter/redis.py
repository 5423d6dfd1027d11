"""One Redis connection pool per process, built from REDIS_URL."""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=4)
def _pool(url: str) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=30)


def redis_client() -> redis.Redis:
    return redis.Redis(connection_pool=_pool(settings.REDIS_URL))
