"""Test settings: development defaults for secrets (production refusal has its own test), Redis DB 15,
Celery tasks run eagerly unless a test starts a real worker. DATABASE_URL picks PostgreSQL in CI."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

from securitycenter.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: Argon2 has its own test
SECURE_SSL_REDIRECT = False
# The tests read what was sent from SentMessage (development prints SMS to the console instead).
NOTIFICATION_BACKENDS = {**NOTIFICATION_BACKENDS, "sms": "accounts.notifications.backends.RecordingBackend"}  # noqa: F405

# Several test runs may share one PostgreSQL (developers, helpers, CI): give each its own database.
DATABASES["default"]["TEST"] = {"NAME": f"test_securitycenter_{os.getpid()}"}  # noqa: F405
