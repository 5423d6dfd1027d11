"""The Celery application: notifications, hold release, sweeps and webhooks run here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securitycenter.settings")

app = Celery("securitycenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
