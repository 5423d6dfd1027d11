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
# The security log's keys came later than the first bench.env: generated into a file of their own, once.
if [ ! -f "$_bench_root/var/bench-log-keys.env" ]; then
    "$_bench_root/.venv/bin/python" - > "$_bench_root/var/bench-log-keys.env" <<'PY'
import base64, secrets
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, PrivateFormat, NoEncryption
key = Ed25519PrivateKey.generate()
private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
print(f"BENCH_SECURITY_LOG_KEYS=bench:{secrets.token_urlsafe(32)}")
print(f"BENCH_CHECKPOINT_SIGNING_KEY={base64.b64encode(private).decode()}")
print(f"BENCH_CHECKPOINT_VERIFY_KEYS={base64.b64encode(public).decode()}")
PY
fi
. "$_bench_root/var/bench.env"
. "$_bench_root/var/bench-log-keys.env"
export DEBUG=0
# The benchmarks send no SMS; production refuses to start without a backend that delivers.
export NOTIFICATION_SMS_BACKEND=${NOTIFICATION_SMS_BACKEND:-tests.support.sms_gateway.GatewayBackend}
export SECRET_KEY=${SECRET_KEY:-$BENCH_SECRET_KEY}
export FIELD_ENCRYPTION_KEYS=${FIELD_ENCRYPTION_KEYS:-$BENCH_FIELD_ENCRYPTION_KEYS}
export BLIND_INDEX_KEY=${BLIND_INDEX_KEY:-$BENCH_BLIND_INDEX_KEY}
export SECURITY_LOG_KEYS=${SECURITY_LOG_KEYS:-$BENCH_SECURITY_LOG_KEYS}
export SECURITY_LOG_CHECKPOINT_SIGNING_KEY=${SECURITY_LOG_CHECKPOINT_SIGNING_KEY:-$BENCH_CHECKPOINT_SIGNING_KEY}
export SECURITY_LOG_CHECKPOINT_VERIFY_KEYS=${SECURITY_LOG_CHECKPOINT_VERIFY_KEYS:-$BENCH_CHECKPOINT_VERIFY_KEYS}
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
