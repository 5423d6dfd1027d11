#!/usr/bin/env bash
# The production web server: scripts/serve.sh [extra server arguments]
#
# Settings come from the environment (README.md, Configuration); WEB_WORKERS (default: one per core),
# WEB_THREADS (default 1), WEB_BIND (default 0.0.0.0:8000), WEB_TIMEOUT_SECONDS. Run `manage.py migrate`
# before a new release starts serving.
# WEB_APP picks the application: `service` (default: every endpoint) or `payments`, the payment core's own
# stack (securitycenter/wsgi_payments.py: the hot path and /healthz only, fewer middleware), which
# scripts/serve_payments.sh starts on a port and worker pool of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

case "${WEB_APP:-service}" in
    service) app=securitycenter.wsgi:application ;;
    payments)
        app=securitycenter.wsgi_payments:application
        export DJANGO_SETTINGS_MODULE=securitycenter.settings_payments
        ;;
    *) echo "WEB_APP=$WEB_APP is not an application this script knows (service, payments)." >&2; exit 2 ;;
esac
settings_check
metrics_dir_prepare web
# The one place the web server is chosen. gunicorn with sync workers won the comparison in
# docs/performance.md; another server is added here, with its configuration, once it is measured better.
server=${WEB_SERVER:-gunicorn}
case "$server" in
    gunicorn) exec "$(project_bin gunicorn)" -c scripts/gunicorn.conf.py "$@" "$app" ;;
    *) echo "WEB_SERVER=$server is not a server this script knows (gunicorn)." >&2; exit 2 ;;
esac
