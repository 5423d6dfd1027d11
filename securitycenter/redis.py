"""One Redis client per process and URL, built from REDIS_URL.

A `redis.Redis` costs about 100 µs to build (its table of response callbacks), as much as a round trip,
so it is built once; it is thread-safe and draws connections from its own pool.
"""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=30)
    return redis.Redis(connection_pool=pool)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)
