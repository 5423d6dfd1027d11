#!/usr/bin/env bash
# The payment core's own server: scripts/serve_payments.sh [extra server arguments]
#
# The same server and settings as scripts/serve.sh, with the payment core's application
# (securitycenter/wsgi_payments.py) on a port and worker pool of its own: WEB_BIND defaults to
# 0.0.0.0:8001 here; WEB_WORKERS, WEB_THREADS and the rest are read as serve.sh reads them, so set them
# in this process's environment to size the pool apart from the service's.
set -euo pipefail
export WEB_APP=payments
export WEB_BIND=${WEB_BIND:-0.0.0.0:8001}
exec "$(dirname "$0")/serve.sh" "$@"
