"""Settings, read from the environment.

Development (DEBUG on) gets working defaults so `scripts/run.sh` needs no configuration. With DEBUG off
every secret must come from the environment: the service refuses to start rather than run a bank's
security controls on a key that is printed in this file.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Development-only values. They are deterministic so a local restart keeps sessions and encrypted
# demo rows readable; they are refused whenever DEBUG is off.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LTAxMjM0NTY3ODlhYmM="  # base64 of 32 bytes, dev only
_DEV_INDEX_KEY = "dev-only-blind-index-key"


# Each refusal is one sentence that says what to set: manage.py and the scripts print it instead of a traceback.
_WHAT_TO_SET = " (for development set DEBUG=1; README.md, Configuration, lists what production needs)."


def _secret(name: str, dev_default: str) -> str:
    value: str = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set in the environment when DEBUG is off{_WHAT_TO_SET}")


SECRET_KEY = _secret("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(f"SECRET_KEY must be a real secret of at least 50 characters{_WHAT_TO_SET}")

# Fernet keys (urlsafe base64 of 32 bytes), comma separated: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _secret("FIELD_ENCRYPTION_KEYS", _DEV_FIELD_KEY).split(",") if k.strip()]
if not DEBUG and _DEV_FIELD_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS must not contain the development key{_WHAT_TO_SET}")
# Key of the keyed hash used to look encrypted values up exactly (account numbers, risk-list payees).
BLIND_INDEX_KEY = _secret("BLIND_INDEX_KEY", _DEV_INDEX_KEY)
if not DEBUG and BLIND_INDEX_KEY == _DEV_INDEX_KEY:
    raise ImproperlyConfigured(f"BLIND_INDEX_KEY must not be the development key{_WHAT_TO_SET}")

# The security log's hash chain is keyed (HMAC-SHA256): whoever can write rows but does not hold a key cannot
# recompute the chain. Comma-separated `key_id:secret` pairs; the first keys new entries, all verify (each entry
# names its key id), so a key is rotated by putting a new one in front and keeping the old one after it.
_DEV_SECURITY_LOG_KEYS = "dev:dev-only-security-log-key-0123456789abcdef"
SECURITY_LOG_KEY_ID_PATTERN = r"[A-Za-z0-9_-]{1,16}"


def _security_log_keys(raw: str) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for item in (part.strip() for part in raw.split(",")):
        key_id, sep, secret = item.partition(":")
        if not item:
            continue
        if not sep or not re.fullmatch(SECURITY_LOG_KEY_ID_PATTERN, key_id) or not secret:
            raise ImproperlyConfigured(f"SECURITY_LOG_KEYS holds an entry that is not key_id:secret{_WHAT_TO_SET}")
        if not DEBUG and (len(secret) < 32 or item in _DEV_SECURITY_LOG_KEYS.split(",")):
            raise ImproperlyConfigured(
                f"SECURITY_LOG_KEYS must hold real secrets of at least 32 characters{_WHAT_TO_SET}"
            )
        keys.append((key_id, secret))
    if not keys or len({key_id for key_id, _ in keys}) != len(keys):
        raise ImproperlyConfigured(f"SECURITY_LOG_KEYS must name at least one key, each key id once{_WHAT_TO_SET}")
    return keys


SECURITY_LOG_KEYS = _security_log_keys(_secret("SECURITY_LOG_KEYS", _DEV_SECURITY_LOG_KEYS))
# Signed checkpoints of the chain heads, kept outside the database, make a deleted tail or an erased log show.
# Ed25519: the writer (the worker running the beat task) holds the private key, base64 of its 32 bytes; every
# verifier holds the public keys (comma separated: a rotated-out key still verifies older checkpoints). The
# database never sees either.
_DEV_CHECKPOINT_SIGNING_KEY = "ZGV2LW9ubHktY2hlY2twb2ludC1zaWduaW5nLWtleSE="
_DEV_CHECKPOINT_VERIFY_KEY = "HkpsyHBIkUJ7WlB9dxvnVEORKAw+5E+Mx3CB8O1HVEA="
SECURITY_LOG_CHECKPOINT_SIGNING_KEY = env.str(
    "SECURITY_LOG_CHECKPOINT_SIGNING_KEY", default=_DEV_CHECKPOINT_SIGNING_KEY if DEBUG else ""
)
SECURITY_LOG_CHECKPOINT_VERIFY_KEYS = env.list(
    "SECURITY_LOG_CHECKPOINT_VERIFY_KEYS", default=[_DEV_CHECKPOINT_VERIFY_KEY] if DEBUG else []
)
if not DEBUG and not SECURITY_LOG_CHECKPOINT_VERIFY_KEYS:
    raise ImproperlyConfigured(
        f"SECURITY_LOG_CHECKPOINT_VERIFY_KEYS must be set in the environment when DEBUG is off{_WHAT_TO_SET}"
    )
if not DEBUG and _DEV_CHECKPOINT_VERIFY_KEY in SECURITY_LOG_CHECKPOINT_VERIFY_KEYS:
    raise ImproperlyConfigured(f"SECURITY_LOG_CHECKPOINT_VERIFY_KEYS must not hold the development key{_WHAT_TO_SET}")
if not DEBUG and SECURITY_LOG_CHECKPOINT_SIGNING_KEY == _DEV_CHECKPOINT_SIGNING_KEY:
    raise ImproperlyConfigured(f"SECURITY_LOG_CHECKPOINT_SIGNING_KEY must not be the development key{_WHAT_TO_SET}")
# Where checkpoints go: a class with save(number, data) and latest(); the default writes files to a directory
# (mount storage the database host cannot write, e.g. an object-locked bucket, for the guarantee to hold).
SECURITY_LOG_CHECKPOINT_STORE = env.str(
    "SECURITY_LOG_CHECKPOINT_STORE", default="securitycenter.securitylog.checkpoints.DirectoryStore"
)
SECURITY_LOG_CHECKPOINT_DIR = env.str(
    "SECURITY_LOG_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "security-log-checkpoints")
)
SECURITY_LOG_CHECKPOINT_SECONDS = env.int("SECURITY_LOG_CHECKPOINT_SECONDS", default=300)
# The PostgreSQL role the service connects as, when migrations run as the owner: `migrate` then (re)applies its
# grants (see manage.py service_role_grants). Empty: nothing is granted automatically.
DATABASE_SERVICE_ROLE = env.str("DATABASE_SERVICE_ROLE", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_guid",
    "securitycenter.securitylog",
    "accounts",
    "locks",
    # The 95588 agent console (server-rendered pages over the services of every room).
    "console",
    "securitycenter.operations",
]

MIDDLEWARE = [
    # First, so every log line of the request (and the tasks it enqueues) carries its request id.
    "django_guid.middleware.guid_middleware",
    # Next, so that every answer gets them, the guard's refusals included.
    "securitycenter.edge.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Then: an oversized body or a path with a NUL is refused before anything else looks at the request.
    "securitycenter.edge.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The console's stylesheet and scripts (and the API docs'), served by the app itself in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "securitycenter.language.RequestLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "securitycenter.urls"
# Every endpoint, signed in or not: a larger body is a 413 before any parser reads it. A full batch of
# AUTHORIZATION_BATCH_MAX payments is about 150 kB.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
WSGI_APPLICATION = "securitycenter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The API docs' page templates without their remote fonts (securitycenter/templates/).
        "DIRS": [BASE_DIR / "securitycenter" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'securitycenter.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, and the worker's processes, beat and web share the file. A transaction in SQLite's
    # default deferred mode reads first and then cannot upgrade to a write while another process writes: it
    # fails at once with "database is locked", whatever the timeout. IMMEDIATE takes the write lock at BEGIN,
    # where the busy timeout (seconds) makes it queue instead; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Customer-facing text: zh-Hans and en catalogues in locale/ (compiled by scripts/lib.sh), Django's and DRF's
# own zh-Hans messages come along. A request's language: Accept-Language, else the customer's profile.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # where collectstatic would write; WhiteNoise looks there as well
# WhiteNoise serves the apps' static folders as they are (no collectstatic step to forget before a release).
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
    ],
    # Deny by default: every view must name who may call it.
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.DenyAll"],
    "DEFAULT_SCHEMA_CLASS": "securitycenter.openapi.CallerAutoSchema",
    "EXCEPTION_HANDLER": "securitycenter.exception_handler.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}

# The schema and its docs pages (/api/schema/, /api/docs/, /api/redoc/): off, they answer 404.
API_DOCS_ENABLED = env.bool("API_DOCS_ENABLED", default=True)
# Every response: nothing but this origin's own scripts, styles and images (the API answers JSON; the docs
# pages' assets are served locally by drf-spectacular-sidecar). The docs views add inline styles, data:
# images and blob: workers for Swagger UI and Redoc (securitycenter.docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Security Center API",
    "DESCRIPTION": (
        "Account safety locks, emergency freezes, the security log and real-time authorization "
        "decisions for the bank's payment core. Every error is an RFC 9457 problem document."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("status", "kind") get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.BankAccount.Status",
        "AccountKindEnum": "accounts.models.BankAccount.Kind",
        "HoldStatusEnum": "locks.models.Hold.Status",
        "RemoteFreezeScopeEnum": "locks.models.RemoteFreeze.Scope",
        "RiskSeverityEnum": "locks.models.PayeeRiskEntry.Severity",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "locks.authorizations.openapi.add_hot_path",
        "locks.authorizations.openapi.add_hold_webhook",
        # Last: closes every response body the hooks above added too.
        "securitycenter.openapi.responses_closed",
    ],
}

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Every task is idempotent (house rule: ids in, the database re-read), so a task whose worker died is run
# again (acks_late, reject on worker lost above) and one that hangs is killed: the soft limit raises inside
# the task so its transaction rolls back, the hard limit ends the child. Sweeps re-find what was left.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT_SECONDS", default=150)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_TIME_LIMIT_SECONDS must be above CELERY_TASK_SOFT_TIME_LIMIT_SECONDS{_WHAT_TO_SET}"
    )
# A child that has run this many tasks is replaced: bounded memory growth in a long-running worker.
# Off by default: each new child writes a new set of metrics files (securitycenter.metrics).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=0) or None
# How long a pending outbox kick (locks.authorizations.outbox.outbox_kick) stops further ones: at most one
# message an interval however many groups commit; a lost message delays the outbox by this much at most.
AUTHORIZATION_OUTBOX_KICK_MS = env.int("AUTHORIZATION_OUTBOX_KICK_MS", default=200)
CELERY_BEAT_SCHEDULE = {
    # The hot path's outbox (locks.authorizations.outbox): holds and customer-lock declines are logged and
    # announced from the committed records, so no message is published on the request. The interval is how
    # late a customer hears of a hold or decline at most (plus the task's own time).
    "authorization-outbox": {
        "task": "locks.authorizations.tasks.authorization_outbox_sweep",
        "schedule": float(env.int("AUTHORIZATION_OUTBOX_SECONDS", default=1)),
    },
    "degraded-counters-sweep": {
        "task": "locks.authorizations.tasks.degraded_counters_sweep",
        "schedule": crontab(minute="*"),
    },
    "notifications-sweep": {
        "task": "accounts.notifications.tasks.notifications_sweep",
        "schedule": crontab(minute="*"),
    },
    "pending-loosenings-apply": {
        "task": "locks.rules.tasks.pending_loosenings_apply",
        "schedule": crontab(minute="*"),
    },
    "policies-republish": {
        "task": "locks.rules.tasks.policies_republish",
        "schedule": crontab(minute="*"),
    },
    "travel-windows-remind": {
        "task": "locks.rules.tasks.travel_windows_remind",
        "schedule": crontab(minute="*/15"),
    },
}

# --- Sign-in and tokens ---------------------------------------------------------------------------
TOKEN_IDLE_TIMEOUT = timedelta(minutes=env.int("TOKEN_IDLE_TIMEOUT_MINUTES", default=15))
TOKEN_ABSOLUTE_LIFETIME = timedelta(hours=env.int("TOKEN_ABSOLUTE_LIFETIME_HOURS", default=12))
LOGIN_MAX_FAILURES_PER_CUSTOMER = env.int("LOGIN_MAX_FAILURES_PER_CUSTOMER", default=5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
LOGIN_LOCKOUT = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# How many proxies in front of the service append to X-Forwarded-For (securitycenter.client_address): 1
# behind the load balancer. 0 trusts no header; a count higher than the real one lets clients forge it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Staff (95588 agents, supervisors, auditors, administrators) ---------------------------------------
# A staff token or admin-site session unused this long is over: a desk left alone must not freeze money.
STAFF_TOKEN_IDLE_TIMEOUT = timedelta(minutes=env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=10))
# Sessions exist only for the staff admin site; each request renews the idle window.
SESSION_COOKIE_AGE = int(STAFF_TOKEN_IDLE_TIMEOUT.total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# How long a service session (an agent's permission to see one verified caller) lasts.
SERVICE_SESSION_LIFETIME = timedelta(minutes=env.int("SERVICE_SESSION_MINUTES", default=30))
# A call the app shows as "95588 is calling you" stops showing after this, even if the agent forgets to end it.
CALL_STATUS_MAX = timedelta(minutes=env.int("CALL_STATUS_MAX_MINUTES", default=30))

# --- One-time passwords ---------------------------------------------------------------------------
OTP_ISSUER = env.str("OTP_ISSUER", default="Security Center")
OTP_MAX_FAILURES = 5
OTP_LOCKOUT_BASE = timedelta(seconds=env.int("OTP_LOCKOUT_BASE_SECONDS", default=60))
SMS_CODE_LIFETIME = timedelta(minutes=5)

# --- Notifications ------------------------------------------------------------------------------
_DEV_NOTIFICATION_BACKENDS = {
    "accounts.notifications.backends.ConsoleBackend",
    "accounts.notifications.backends.RecordingBackend",
}


def _sms_backend() -> str:
    # SMS carries the one-time codes: in production a backend that stores them and delivers nothing would
    # lock every customer out of every loosening, silently. In development the console shows them.
    value: str = env.str("NOTIFICATION_SMS_BACKEND", default="")
    if DEBUG:
        return value or "accounts.notifications.backends.ConsoleBackend"
    if not value or value in _DEV_NOTIFICATION_BACKENDS:
        raise ImproperlyConfigured(
            "NOTIFICATION_SMS_BACKEND must name a backend that delivers SMS (a dotted path) when DEBUG is off."
        )
    return value


NOTIFICATION_BACKENDS = {
    "push": env.str("NOTIFICATION_PUSH_BACKEND", default="accounts.notifications.backends.RecordingBackend"),
    "sms": _sms_backend(),
    "email": env.str("NOTIFICATION_EMAIL_BACKEND", default="accounts.notifications.backends.RecordingBackend"),
}
# Retries after a transient error: 5 with backoff 2, 4, 8, 16, 32 s (jittered down to half), so a whole retry
# chain is normally over within about a minute, before the sweep would consider the notification stale.
NOTIFICATION_MAX_RETRIES = env.int("NOTIFICATION_MAX_RETRIES", default=5)
NOTIFICATION_RETRY_BACKOFF_SECONDS = 2
NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = 60
NOTIFICATION_SWEEP_AFTER = timedelta(minutes=2)
NOTIFICATION_SWEEP_BATCH = 500

# --- Production hardening (check --deploy passes with DEBUG off) ----------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]
X_FRAME_OPTIONS = "DENY"

# --- Logs: one JSON object a line in production (plain text in development), each with the request id ------
# The id comes from the proxy's header (REQUEST_ID_HEADER; a value that is not a UUID is replaced) or is
# made here, is returned in the same header, and travels in the headers of every task the request enqueues,
# so one payment can be followed from the API through the worker.
REQUEST_ID_HEADER = env.str("REQUEST_ID_HEADER", default="X-Request-ID")
DJANGO_GUID = {
    "GUID_HEADER_NAME": REQUEST_ID_HEADER,
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain{_WHAT_TO_SET}")
# The worker logs through this configuration too (JSON, request ids), not through Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django gives its "django" logger a console handler of its own (DEBUG only) and lets it propagate: with
    # ours on the root as well, runserver printed every 4xx twice. Its records go to the root handler alone.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        # It logs every id it sets or passes on, at INFO: noise, and a cost on every request.
        "django_guid": {"level": "WARNING"},
    },
}

# --- Account safety locks ---------------------------------------------------------------------------
# The bank's own ceilings, per account kind (BankAccount.holder) and currency, in minor units. A customer can
# only set limits at or below them, and "no limit" means these. A payment over a ceiling is declined
# (over_bank_…_limit); a large transfer within it is held for cooling-off (below), not declined.
BANK_MAX_LIMITS = {  # personal accounts
    "CNY": {"per_transaction": 100_000_000, "daily": 500_000_000, "monthly": 2_000_000_000},
    "USD": {"per_transaction": 15_000_000, "daily": 70_000_000, "monthly": 300_000_000},
}
CORPORATE_MAX_LIMITS = {  # a company's accounts: payroll and suppliers are large, so are the ceilings
    "CNY": {"per_transaction": 5_000_000_000, "daily": 20_000_000_000, "monthly": 100_000_000_000},
    "USD": {"per_transaction": 750_000_000, "daily": 3_000_000_000, "monthly": 15_000_000_000},
}
# How long a loosening proven with an OTP waits before it takes effect (0 = at once). The customer can
# cancel it meanwhile.
LOOSENING_DELAY = timedelta(seconds=env.int("LOOSENING_DELAY_SECONDS", default=0))
TRAVEL_WINDOW_MAX_DAYS = 366
TRAVEL_WINDOW_REMINDER_BEFORE = timedelta(hours=24)
HOME_COUNTRY = "CN"
# Cooling-off (冷静期): transfers at or above the threshold are held; the first transfer to a new payee
# at or above the lower threshold too. Minor units; a customer may lower the first (a tightening).
COOLING_OFF_DEFAULT_THRESHOLD = env.int("COOLING_OFF_DEFAULT_THRESHOLD", default=5_000_000)
COOLING_OFF_NEW_PAYEE_THRESHOLD = env.int("COOLING_OFF_NEW_PAYEE_THRESHOLD", default=1_000_000)
# Elderly protection (老年人保护): for a protected customer (the preset, or aged at least ELDERLY_PROTECTION_AGE;
# 0 = by age never) a transfer to a new payee at or above the threshold is held and a call-back case is
# opened; the hold is not released while that case is open.
ELDERLY_PROTECTION_AGE = env.int("ELDERLY_PROTECTION_AGE", default=65)
ELDERLY_CALL_BACK_THRESHOLD = env.int("ELDERLY_CALL_BACK_THRESHOLD", default=100_000)
# Trusted contacts: the verification code sent to the contact, and how long a request to confirm a
# loosening (or an early end of a cooling-off) waits for their answer before it lapses (and is withdrawn).
TRUSTED_CONTACT_CODE_TTL = timedelta(minutes=env.int("TRUSTED_CONTACT_CODE_MINUTES", default=15))
TRUSTED_CONFIRMATION_TTL = timedelta(minutes=env.int("TRUSTED_CONFIRMATION_MINUTES", default=24 * 60))
# The page the contact opens from the message; it posts the answer to /api/v1/trusted-confirmations/{token}.
TRUSTED_CONFIRMATION_URL = env.str("TRUSTED_CONFIRMATION_URL", default="https://bank.example/trusted/{token}")
# The same for corporate accounts (seed 003: 1.7 million remitted at night is held until the morning).
CORPORATE_COOLING_OFF_THRESHOLD = env.int("CORPORATE_COOLING_OFF_THRESHOLD", default=100_000_000)
CORPORATE_COOLING_OFF_NEW_PAYEE_THRESHOLD = env.int("CORPORATE_COOLING_OFF_NEW_PAYEE_THRESHOLD", default=20_000_000)

# --- Authorization (the payment core's hot path) ---------------------------------------------------
# What happens while Redis is unreachable: "decline_risky" declines card-not-present payments and
# transfers (service_degraded) and decides the rest from the database; "database" decides everything from
# the database; "decline_all" declines everything.
AUTHORIZATION_DEGRADED_MODE = env.str("AUTHORIZATION_DEGRADED_MODE", default="decline_risky")
if AUTHORIZATION_DEGRADED_MODE not in {"decline_risky", "database", "decline_all"}:
    raise ImproperlyConfigured("AUTHORIZATION_DEGRADED_MODE must be decline_risky, database or decline_all.")
AUTHORIZATION_BATCH_MAX = 500
# API keys are cached in each process for this long: a revoked key stops working within it.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)

# Device signals the app may send with a payment (`device_signals`; see locks/decision/signals.py). A
# payment without them is decided as before. Amounts are minor units; a floor of None switches its rule off.
DEVICE_SIGNAL_RULES = {
    # Screen sharing / a remote-control app during a transfer or card-not-present payment: decline, "hang up".
    "screen_sharing_declines": env.bool("SIGNALS_SCREEN_SHARING_DECLINES", default=True),
    "remote_control_declines": env.bool("SIGNALS_REMOTE_CONTROL_DECLINES", default=True),
    # The app's integrity check failed: decline such payments too (off: the signal is only recorded).
    "integrity_failed_declines": env.bool("SIGNALS_INTEGRITY_FAILED_DECLINES", default=False),
    # A transfer to a new payee during a call from a number not in the contacts: hold and call back.
    "unknown_caller_hold_floor": env.int("SIGNALS_UNKNOWN_CALLER_HOLD_FLOOR", default=0),
    # A transfer to a new payee from a device first seen less than this many hours ago: hold above a floor.
    "new_device_hours": env.int("SIGNALS_NEW_DEVICE_HOURS", default=24),
    "new_device_hold_floor": env.int("SIGNALS_NEW_DEVICE_HOLD_FLOOR", default=100_000),
}

# --- Cooling-off holds ----------------------------------------------------------------------------------
COOLING_OFF_PERIOD = timedelta(seconds=env.int("COOLING_OFF_PERIOD_SECONDS", default=12 * 3600))
HOLD_REMINDER_BEFORE = timedelta(hours=1)
# How often beat releases due holds and retries webhooks; a minute in production, seconds in tests.
HOLD_SWEEP_SECONDS = env.int("HOLD_SWEEP_SECONDS", default=60)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_BACKOFF_SECONDS = 600
# How long a pending delivery's queued message may take before the sweep queues another (a lost message).
WEBHOOK_REQUEUE_AFTER = timedelta(seconds=env.int("WEBHOOK_REQUEUE_SECONDS", default=60))
# Hold work has queues of its own, which the worker serves in turn with the default one: a backlog of
# notifications must not delay a release, and a payment core that times out must not delay the sweep.
CELERY_TASK_QUEUES = [Queue("celery"), Queue("holds"), Queue("webhooks")]
CELERY_TASK_ROUTES = {
    "locks.holds.webhooks.webhook_deliver": {"queue": "webhooks"},
    "locks.holds.tasks.*": {"queue": "holds"},
}
CELERY_BEAT_SCHEDULE.update(
    {
        "holds-release-due": {"task": "locks.holds.tasks.holds_release_due", "schedule": HOLD_SWEEP_SECONDS},
        "holds-remind": {"task": "locks.holds.tasks.holds_remind", "schedule": HOLD_SWEEP_SECONDS},
        "webhooks-retry": {"task": "locks.holds.tasks.webhooks_retry", "schedule": HOLD_SWEEP_SECONDS},
        "trusted-confirmations-expire": {
            "task": "locks.trusted.tasks.trusted_confirmations_expire",
            "schedule": HOLD_SWEEP_SECONDS,
        },
    }
)
# Every module that defines tasks: the packages per concept are not found by autodiscovery (it looks for
# <app>.tasks only), and a worker that has not imported a task refuses its messages.
CELERY_BEAT_SCHEDULE["security-log-checkpoint"] = {
    "task": "securitycenter.securitylog.tasks.security_log_checkpoint",
    "schedule": SECURITY_LOG_CHECKPOINT_SECONDS,
}
# The call-back queue: a claim is one agent's for this long; an unreachable customer is tried again after
# CALLBACK_RETRY; a case still unreached this long before its deadline goes to a supervisor. A payment sent
# to review that nobody confirms ends by REVIEW_DEFAULT_OUTCOME after REVIEW_DEADLINE.
CALLBACK_CLAIM_LIFETIME = timedelta(minutes=env.int("CALLBACK_CLAIM_MINUTES", default=5))
CALLBACK_RETRY_AFTER = timedelta(minutes=env.int("CALLBACK_RETRY_MINUTES", default=15))
CALLBACK_ESCALATE_BEFORE = timedelta(minutes=env.int("CALLBACK_ESCALATE_BEFORE_MINUTES", default=60))
REVIEW_DEADLINE = timedelta(minutes=env.int("REVIEW_DEADLINE_MINUTES", default=120))
REVIEW_DEFAULT_OUTCOME = env.str("REVIEW_DEFAULT_OUTCOME", default="decline")
if REVIEW_DEFAULT_OUTCOME not in {"decline", "approve"}:
    raise ImproperlyConfigured("REVIEW_DEFAULT_OUTCOME must be decline or approve.")
CELERY_BEAT_SCHEDULE["reviews-default"] = {"task": "locks.callbacks.tasks.reviews_default_sweep", "schedule": 60}
CELERY_BEAT_SCHEDULE["callbacks-escalate"] = {"task": "locks.callbacks.tasks.callbacks_escalate_sweep", "schedule": 60}
CELERY_BEAT_SCHEDULE["review-cases"] = {"task": "locks.authorizations.tasks.review_cases_sweep", "schedule": 60}
CELERY_BEAT_SCHEDULE["remote-freezes-expire"] = {
    "task": "locks.agents.tasks.remote_freezes_expire",
    "schedule": crontab(minute="*"),
}
# The weekly self-check scan (安全检测): Monday 02:00 UTC (10:00 in China), one task per customer.
CELERY_BEAT_SCHEDULE["self-check-weekly"] = {
    "task": "locks.selfcheck.tasks.self_check_weekly_sweep",
    "schedule": crontab(minute=0, hour=2, day_of_week=1),
}
CELERY_IMPORTS = [
    "securitycenter.securitylog.tasks",
    "accounts.notifications.delivery",
    "accounts.notifications.tasks",
    "locks.agents.tasks",
    "locks.authorizations.tasks",
    "locks.callbacks.tasks",
    "locks.holds.tasks",
    "locks.holds.webhooks",
    "locks.rules.tasks",
    "locks.trusted.tasks",
    "locks.selfcheck.tasks",
    "securitycenter.operations.tasks",
]

# --- Operations: health, heartbeats, metrics ------------------------------------------------------
# Bearer tokens of the bank's operators (comma separated, for rotation): /metrics and the detailed health
# answers. None set: nobody gets them.
OPERATOR_TOKENS = [t.strip() for t in env.list("OPERATOR_TOKENS", default=[]) if t.strip()]
if not DEBUG and any(len(t) < 32 for t in OPERATOR_TOKENS):
    raise ImproperlyConfigured(f"Each of OPERATOR_TOKENS must be at least 32 characters{_WHAT_TO_SET}")
RELEASE = env.str("RELEASE", default="unknown")
# Beat sends a heartbeat task to every queue this often; readiness fails when a worker on a queue or beat
# has not been seen for HEALTH_STALE_SECONDS.
HEALTH_HEARTBEAT_SECONDS = env.int("HEALTH_HEARTBEAT_SECONDS", default=15)
HEALTH_STALE_AFTER = timedelta(seconds=env.int("HEALTH_STALE_SECONDS", default=120))
CELERY_BEAT_SCHEDULER = "securitycenter.operations.beat:RecordingScheduler"
CELERY_BEAT_SCHEDULE.update(
    {
        f"heartbeat-{queue.name}": {
            "task": "securitycenter.operations.tasks.operations_heartbeat",
            "schedule": HEALTH_HEARTBEAT_SECONDS,
            "args": (queue.name,),
            "options": {"queue": queue.name, "expires": HEALTH_HEARTBEAT_SECONDS * 2},
        }
        for queue in CELERY_TASK_QUEUES
    }
)
# A hold still held this long after its release time counts as overdue in the metrics.
HOLD_OVERDUE_AFTER = timedelta(seconds=env.int("HOLD_OVERDUE_SECONDS", default=300))
# Where the web and worker processes of this host write their metrics (one folder per kind, set by the
# scripts); empty: one process, its own registry (development, tests).
METRICS_DIR = env.str("METRICS_DIR", default="")
