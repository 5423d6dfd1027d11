"""The benchmark's WSGI application: the stack under test (bench/settings_floors.py) with its caches warmed
as bench/wsgi_warm.py does, and the floors beside it; /floors/f0bare goes to a handler with no middleware.

    .venv/bin/gunicorn -c bench/gunicorn.conf.py bench.wsgi_floors:application
"""

import os
import sys
from typing import Any

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_floors"

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test.utils import override_settings

stack = get_wsgi_application()
with override_settings(MIDDLEWARE=[]):
    bare = WSGIHandler()  # loads its (empty) middleware chain now

from bench.floors import CREATE_TABLE  # noqa: E402 - imports models

with connection.cursor() as cursor:
    cursor.execute(CREATE_TABLE)
connection.close()  # forked workers open their own

if os.environ.get("BENCH_WARM", "1") == "1":
    from bench.warm import caches_warm

    accounts, seconds = caches_warm()
    print(f"bench: caches warmed for {accounts} accounts in {seconds:.1f} s (pid {os.getpid()})", file=sys.stderr)


def application(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") == "/floors/f0bare":
        return bare(environ, start_response)
    return stack(environ, start_response)
