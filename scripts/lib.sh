# Shared by scripts/run.sh, scripts/test.sh and .ci/run. Source it; it defines functions only.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A virtualenv at .venv with the pinned requirements; reinstalls only when a requirements file changed.
ensure_venv() {
    local py=""
    for cand in python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            py=$cand; break
        fi
    done
    if [ -z "$py" ]; then
        echo "Python 3.11 is required (python3.11 or python3 at version 3.11)." >&2; exit 1
    fi
    [ -x .venv/bin/python ] || { say "creating .venv"; "$py" -m venv .venv; }
    local stamp=.venv/.requirements.sha256
    local want
    want=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing requirements"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -r requirements/dev.txt
        echo "$want" > "$stamp"
    fi
}

_redis_host_port() {
    .venv/bin/python - "$1" <<'PY'
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 6379)
PY
}

redis_reachable() {
    .venv/bin/python - "$1" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}

# Start a local redis-server when the configured Redis is not reachable.
ensure_redis() {
    local url=${1:-redis://127.0.0.1:6379/0}
    redis_reachable "$url" && return 0
    read -r host port < <(_redis_host_port "$url")
    if ! command -v redis-server >/dev/null 2>&1; then
        cat >&2 <<MSG
Redis is not reachable at $host:$port and no redis-server is installed.
Install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),
or point REDIS_URL at a running Redis, then run this command again.
MSG
        exit 1
    fi
    say "starting redis-server on $host:$port"
    mkdir -p var
    redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no \
        --dir "$PWD/var" --logfile "$PWD/var/redis.log"
    for _ in $(seq 50); do redis_reachable "$url" && return 0; sleep 0.1; done
    echo "redis-server did not come up; see var/redis.log" >&2; exit 1
}

# Start the local PostgreSQL cluster when it is not accepting connections.
ensure_postgres() {
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        say "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
    fi
    for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0; sleep 0.2; done
    return 1
}

# A program of the project's environment: the virtualenv's when there is one (development, CI), else the
# one on PATH (an image that installed the requirements system-wide).
project_bin() {
    if [ -x ".venv/bin/$1" ]; then echo ".venv/bin/$1"; else command -v "$1" || { echo "$1 is not installed" >&2; return 1; }; fi
}

# Loads the settings once before a long-running process starts: a missing or refused setting is the
# settings' one sentence (what to set), not a traceback from inside a server or worker.
settings_check() {
    "$(project_bin python)" manage.py check >/dev/null
}

# Compile the gettext catalogues (locale/*/LC_MESSAGES/django.po → .mo; the .mo files are not committed).
# msgfmt comes from GNU gettext: installed here when missing, as CI's clean machine needs.
ensure_catalogues() {
    if ! command -v msgfmt >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing gettext (msgfmt)"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; } >/dev/null
        else
            echo "msgfmt is missing: install GNU gettext (Debian/Ubuntu: sudo apt-get install gettext; macOS: brew install gettext)." >&2
            exit 1
        fi
    fi
    DEBUG=1 "$(project_bin python)" manage.py compilemessages --ignore=.venv --ignore=var >/dev/null
}

# Debian's Chromium for the console's browser tests (Playwright drives it: its own browser download is not
# reachable), with a CJK font so that screenshots show the Chinese pages. Installed here when missing, as CI's
# clean machine needs.
ensure_chromium() {
    [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing chromium (the console's browser tests)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; } >/dev/null
    else
        echo "Chromium is missing: install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
        exit 1
    fi
}

# Metrics of this host's processes of one kind (web, worker): a folder of their own under METRICS_DIR,
# emptied at start (a restarted process group must not add its predecessors' counters twice); /metrics
# adds up every kind's folder (securitycenter.metrics).
metrics_dir_prepare() {
    export METRICS_DIR=${METRICS_DIR:-$PWD/var/metrics}
    export PROMETHEUS_MULTIPROC_DIR="$METRICS_DIR/$1"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}

rabbitmq_reachable() {
    .venv/bin/python - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

# RabbitMQ on 127.0.0.1:5672, the production broker option whose tests run in CI (each test run uses a vhost
# of its own, created and deleted by the tests: tests/support/services.py). Installed and started if needed.
ensure_rabbitmq() {
    rabbitmq_reachable && rabbitmqctl -q await_startup >/dev/null 2>&1 && return 0
    if ! command -v rabbitmq-server >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing rabbitmq-server"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null
        else
            echo "RabbitMQ is not installed (Debian/Ubuntu: apt-get install rabbitmq-server); its tests are skipped." >&2
            return 1
        fi
    fi
    if ! rabbitmq_reachable; then
        say "starting RabbitMQ"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
    fi
    for _ in $(seq 120); do
        rabbitmq_reachable && rabbitmqctl -q await_startup >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "RabbitMQ did not come up on 127.0.0.1:5672" >&2
    return 1
}
