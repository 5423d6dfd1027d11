"""The application under test's URLconf with the floors (bench/floors.py) under /floors/, one pattern tried
before the hot path's (which pays it, not the floors)."""

import os

from django.urls import include, path

from bench import floors

floor_patterns = [
    path("f0bare", floors.f0),
    path("f0", floors.f0),
    path("f1", floors.f1),
    path("f2", floors.f2),
    path("f1b", floors.f1b),
]
APP_URLCONF = os.environ.get("BENCH_APP_URLCONF", "securitycenter.urls_payments")

urlpatterns = [path("floors/", include(floor_patterns)), path("", include(APP_URLCONF))]
