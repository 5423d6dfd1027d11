"""Settings of the payment core's own stack (`securitycenter/wsgi_payments.py`): the service's settings, from
the same environment, with the hot path's URLconf and without the middleware its endpoints do not use.

Left out, each for a reason of the hot path's own: sessions and auth (the payment core sends an API key,
resolved by the view), static files (WhiteNoise: the console's and the docs' assets), messages, CSRF (no
cookies, no browser), clickjacking (JSON answers, and the CSP says `frame-ancestors 'none'` anyway), the
language middleware (the hot path skips it already: answers carry both languages) and CommonMiddleware
(no slash redirects: the payment core calls exact paths). Everything else stays, in the same order,
including what is added to MIDDLEWARE later (no-store, the CSP, the guard with its 413 and
control-character refusals, SecurityMiddleware's headers and redirect, a request id).
"""

from securitycenter.settings import *  # noqa: F403 - the same settings, then the stack's own changes
from securitycenter.settings import MIDDLEWARE as SERVICE_MIDDLEWARE

NOT_ON_THE_HOT_PATH = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "securitycenter.language.RequestLanguageMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)
MIDDLEWARE = [m for m in SERVICE_MIDDLEWARE if m not in NOT_ON_THE_HOT_PATH]
ROOT_URLCONF = "securitycenter.urls_payments"
WSGI_APPLICATION = "securitycenter.wsgi_payments.application"
# The staff admin site needs sessions, auth and messages; this entry does not serve it (urls_payments).
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]
