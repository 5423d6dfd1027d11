# Benchmark environment: source it (`. bench/env.sh`). A separate PostgreSQL database and Redis DB 2, so
# nothing collides with the tests (DB 15) or development (DB 0); DEBUG off with bench-only secrets that are
# generated once into var/bench.env (so the encrypted account numbers in sc_bench stay readable).
# Override any variable by exporting it before sourcing.
_bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -f "$_bench_root/var/bench.env" ]; then
    mkdir -p "$_bench_root/var"
    "$_bench_root/.venv/bin/python" - > "$_bench_root/var/bench.env" <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"BENCH_SECRET_KEY={secrets.token_urlsafe(64)}")
print(f"BENCH_FIELD_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print(f"BENCH_BLIND_INDEX_KEY={secrets.token_urlsafe(32)}")
PY
fi
. "$_bench_root/var/bench.env"
export DEBUG=0
# The benchmarks send no SMS; production refuses to start without a backend that delivers.
export NOTIFICATION_SMS_BACKEND=${NOTIFICATION_SMS_BACKEND:-tests.support.sms_gateway.GatewayBackend}
export SECRET_KEY=${SECRET_KEY:-$BENCH_SECRET_KEY}
export FIELD_ENCRYPTION_KEYS=${FIELD_ENCRYPTION_KEYS:-$BENCH_FIELD_ENCRYPTION_KEYS}
export BLIND_INDEX_KEY=${BLIND_INDEX_KEY:-$BENCH_BLIND_INDEX_KEY}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1}
export SECURE_SSL_REDIRECT=0
export SECURE_HSTS_SECONDS=0
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sc_bench}
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/2}
# A scratch Redis database that bench_memory.py fills with a million policies and then flushes.
export BENCH_SCRATCH_REDIS_URL=${BENCH_SCRATCH_REDIS_URL:-redis://127.0.0.1:6379/3}
export LOG_LEVEL=${LOG_LEVEL:-WARNING}
export DJANGO_SETTINGS_MODULE=securitycenter.settings
export PYTHONPATH="$_bench_root${PYTHONPATH:+:$PYTHONPATH}"
unset _bench_root
