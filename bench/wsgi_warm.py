"""The project's WSGI application, with the hot-path caches warmed at import when BENCH_WARM=1.

With gunicorn's preload_app (bench/gunicorn.conf.py) the master imports this once and the workers fork
with warm caches; servers that import the application in every worker warm each worker.
"""

import os
import sys

from securitycenter.wsgi import application

if os.environ.get("BENCH_WARM", "1") == "1":
    from bench.warm import caches_warm

    accounts, seconds = caches_warm()
    print(f"bench: caches warmed for {accounts} accounts in {seconds:.1f} s (pid {os.getpid()})", file=sys.stderr)

__all__ = ["application"]
