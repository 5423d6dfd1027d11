"""Settings of the benchmark's server: the stack under test (BENCH_APP=payments, the payment core's own, by
default; BENCH_APP=service for every endpoint with every middleware) with the floors mounted beside it."""

import os

if os.environ.get("BENCH_APP", "payments") == "payments":
    from securitycenter.settings_payments import *  # noqa: F403

    os.environ.setdefault("BENCH_APP_URLCONF", "securitycenter.urls_payments")
else:
    from securitycenter.settings import *  # noqa: F403

    os.environ.setdefault("BENCH_APP_URLCONF", "securitycenter.urls")

ROOT_URLCONF = "bench.urls_floors"
