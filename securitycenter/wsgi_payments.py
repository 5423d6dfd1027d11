"""The payment core's own WSGI entry: the hot path on a port and worker pool of its own
(`scripts/serve_payments.sh`), behind its own URLconf and a shorter middleware stack
(`securitycenter/settings_payments.py`), with the service's settings from the same environment.

The service's entry (`securitycenter/wsgi.py`) keeps serving the hot path too, so a payment core can be moved
to this port without a flag day.
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securitycenter.settings_payments")

application = get_wsgi_application()

# DJANGO_SETTINGS_MODULE set to the service's settings would serve everything here, with every middleware.
if settings.ROOT_URLCONF != "securitycenter.urls_payments":
    raise ImproperlyConfigured(
        "securitycenter.wsgi_payments serves the payment core's URLconf only: "
        "set DJANGO_SETTINGS_MODULE=securitycenter.settings_payments (or leave it unset)."
    )
