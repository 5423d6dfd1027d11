"""An experiment, not a deployment: what the hot path would gain from a leaner Django request cycle.

    .venv/bin/python bench/bench_http.py --server gunicorn:sync:4 \
        --server-env DJANGO_SETTINGS_MODULE=bench.settings_lean

The project's settings with two changes: the payment core's four URLs are matched first (in the project
they come after every customer and agent URL under api/v1/, about 20 patterns tried per request), and
the middleware the hot-path views do not use (sessions, auth, messages, CSRF and clickjacking: the views
authenticate API keys themselves and are CSRF-exempt) is left out. docs/performance.md has the figures.
"""

from securitycenter.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_lean"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
