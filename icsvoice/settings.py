"""icsvoice settings: one module, read from environment variables.

The embedded default (no variables set) runs on SQLite, Celery's filesystem transport and
file-based email under ./var. Production sets DATABASE_URL, CELERY_BROKER_URL or REDIS_URL,
EMAIL_HOST and DJANGO_SECRET_KEY. See README.md for the full list.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from icsvoice.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ICSVOICE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or a random key kept in var/ for the embedded default."""
    configured = env_str("DJANGO_SECRET_KEY", "")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("ICSVOICE_SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "icsvoice.apps.IcsvoiceConfig",
    "groups.apps.GroupsConfig",
    "boards.apps.BoardsConfig",
    "engagement.apps.EngagementConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "crispy_forms",
    "rest_framework",
    "knox",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "icsvoice.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "icsvoice.middleware.RequireTwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "icsvoice.urls"
WSGI_APPLICATION = "icsvoice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "icsvoice.context_processors.service",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'icsvoice.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so the audit chain's
        # read-last-then-append cannot interleave between two writers.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- People, sign-in and sessions ---------------------------------------------------------------
AUTH_USER_MODEL = "icsvoice.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "icsvoice.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[icsvoice] "
# django-axes owns lockouts after failed sign-ins; allauth's other rate limits stay.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "icsvoice.adapters.MFAAdapter"
ACCOUNT_FORMS = {
    "login": "icsvoice.forms.LoginForm",
    "reset_password": "icsvoice.forms.ResetPasswordForm",
    "reset_password_from_key": "icsvoice.forms.ResetPasswordKeyForm",
    "change_password": "icsvoice.forms.ChangePasswordForm",
    "reauthenticate": "icsvoice.forms.ReauthenticateForm",
}
MFA_FORMS = {
    "authenticate": "icsvoice.forms.AuthenticateForm",
    "reauthenticate": "icsvoice.forms.MFAReauthenticateForm",
    "activate_totp": "icsvoice.forms.ActivateTOTPForm",
}
MFA_TOTP_ISSUER = "icsvoice"
# NHS policy requires multi-factor authentication for remote access. Only the local demo
# (make run) relaxes this, and says so when it starts.
ICSVOICE_REQUIRE_MFA = env_bool("ICSVOICE_REQUIRE_MFA", True)

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "icsvoice.adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
# Behind N trusted reverse proxies, the client is the Nth address from the right of
# X-Forwarded-For; allauth's rate limits and axes' lockouts both key on it.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ICSVOICE_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "icsvoice.adapters.client_ip"

SESSION_COOKIE_AGE = env_int("ICSVOICE_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the idle clock restarts on each request
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
ICSVOICE_SESSION_MAX_AGE = timedelta(hours=env_int("ICSVOICE_SESSION_MAX_HOURS", 12))
# Personal links (icsvoice/links.py): how many openings one network address may make in
# the window, whatever the tokens, before it is asked to wait.
ICSVOICE_LINK_RATE = env_int("ICSVOICE_LINK_RATE", 30)
ICSVOICE_LINK_WINDOW_SECONDS = env_int("ICSVOICE_LINK_WINDOW_SECONDS", 600)
# The public board pages are kept this long for visitors who are not signed in; any audited
# change to a board's business clears them at once (boards/public_cache.py). 0 turns it off.
ICSVOICE_PUBLIC_CACHE_SECONDS = env_int("ICSVOICE_PUBLIC_CACHE_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers --------------------------------------------------------------------------
HTTPS = env_bool("ICSVOICE_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("ICSVOICE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Only the built assets (make assets); static/src holds their sources.
STATICFILES_DIRS = [("dist", BASE_DIR / "static" / "dist")]
MEDIA_ROOT = Path(env_str("ICSVOICE_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Uploaded files live outside the web root and are served only through views that check who
# asks. Papers and evidence must be PDFs no larger than this (20 MB unless set).
ICSVOICE_MAX_PDF_BYTES = env_int("ICSVOICE_MAX_PDF_MB", 20) * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ("nhsuk",)
CRISPY_TEMPLATE_PACK = "nhsuk"

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "icsvoice <no-reply@icsvoice.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# The outbox sender (icsvoice/mailer.py). A claim older than the lease belongs to a worker
# that died mid-send and is taken again; it must be longer than one SMTP exchange can last.
ICSVOICE_MAIL_DOMAIN = env_str("ICSVOICE_MAIL_DOMAIN", "icsvoice.localhost")
ICSVOICE_EMAIL_LEASE_SECONDS = env_int("ICSVOICE_EMAIL_LEASE_SECONDS", 300)
ICSVOICE_EMAIL_MAX_ATTEMPTS = env_int("ICSVOICE_EMAIL_MAX_ATTEMPTS", 8)
# Beat's scan leaves a new email this long to the task queued when it was written.
ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS = env_int("ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS", 30)
# Daily digests go at this hour, UK time.
ICSVOICE_DIGEST_HOUR = env_int("ICSVOICE_DIGEST_HOUR", 7)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange bindings (the transport's default is ./control, beside the code).
        "control_folder": str(_broker_dir / "control"),
        # Seconds between looks at an empty queue folder (the transport's default is 1 s,
        # which caps a worker at about one task a second when tasks arrive one by one).
        "polling_interval": 0.1,
    }
else:
    # Above the longest task, so Redis never hands a running task to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task is idempotent, so late acknowledgement is safe everywhere. The longest task (a
# meeting pack) is stopped at the hard limit, well inside Redis's visibility timeout, so Redis
# never hands a task that is still running to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Periodic scans: each finds due rows and acts on them idempotently; nothing waits in the
# broker for a deadline.
# ICSVOICE_SCAN_SECONDS shortens the period for the worker tests.
_SCAN = float(env_int("ICSVOICE_SCAN_SECONDS", 60))
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "close-due-votes": {"task": "groups.close_due_votes", "schedule": _SCAN},
    # Pending emails whose task was lost, whose retry time has come, or whose claim expired.
    "send-due-emails": {"task": "icsvoice.send_due_emails", "schedule": _SCAN},
    # Each person's daily digest, at ICSVOICE_DIGEST_HOUR UK time; at most one per day.
    "send-digests": {"task": "icsvoice.send_digests", "schedule": _SCAN},
    "groups-reminders": {"task": "groups.send_reminders", "schedule": _SCAN},
    "boards-reminders": {"task": "boards.send_reminders", "schedule": _SCAN},
    # Packs out of date with their agenda or papers, and packs due to go to members.
    "boards-packs": {"task": "boards.pack_scan", "schedule": _SCAN},
    # The audit trail's hash chain: verified once a day (and whenever a reviewer asks);
    # checks whose task was lost are queued again, those whose worker died are recorded.
    "verify-audit-trail": {"task": "icsvoice.verify_audit_scan", "schedule": _SCAN},
    # Consultations closing (and closed), and learning reviews due.
    "engagement-reminders": {"task": "engagement.send_reminders", "schedule": _SCAN},
    # Leavers' names and addresses, erased 90 days after their exit interview.
    "erase-leavers": {"task": "engagement.erase_leavers", "schedule": 3600.0},
}

# --- The read-only API (engagement/api) -------------------------------------------------------
# GET only, JSON only. A knox token ("Authorization: Token ...", stored hashed, expiring) or
# the signed-in session; everyone sees what the screens would show them. Unauthenticated
# requests get 401 JSON (the token scheme comes first, so it names the challenge).
REST_FRAMEWORK: dict[str, object] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "engagement.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "engagement.api.pagination.IdCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # No OPTIONS descriptions: the OpenAPI schema describes every endpoint.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS: dict[str, object] = {
    "TITLE": "icsvoice API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Read-only access to primary care's input to an ICS board: positions, vote "
        "summaries, briefs, board meetings, agendas, board responses and, for ICS staff "
        "reviewers, the audit trail.\n\n"
        "**Who sees what.** Every endpoint returns only what you could see on the screens. "
        "Positions and votes: members of the leadership group and the ICS's staff "
        "reviewers. Briefs, meetings, agendas and responses: people with a seat on the "
        "board and the ICS's staff reviewers. Audit events: the ICS's staff reviewers only. "
        "A list leaves out what you may not see; asking for one such object by id answers "
        "404 when it belongs to another ICS (its existence is not confirmed) and 403 when "
        "it is in your ICS but your role does not cover it.\n\n"
        "**Secret ballots** reveal participation only (who could vote and how many voted), "
        "never any choice, count of choices or link between a person and a choice. "
        "Results a group keeps hidden until its vote closes stay hidden here too.\n\n"
        "**Signing in.** Create a token on the *API tokens* page (settings/api-tokens/) "
        "and send it as `Authorization: Token <token>`. Tokens expire and can be revoked "
        "there; only a hash of each is kept. A signed-in browser session works too.\n\n"
        "**Pages.** Lists are in pages of 50 (up to 200 with `page_size`), ordered by id, "
        "oldest first. Follow `next` until it is null; a page's links stay valid while "
        "rows are added.\n\n"
        "Times are ISO 8601 with their offset from UTC (UK time); dates are UK calendar "
        "dates."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/",
}
# Knox tokens: stored as a SHA-512 hash, shown once, expiring after ICSVOICE_API_TOKEN_DAYS
# (30 unless set), never renewed by use; at most ICSVOICE_API_TOKENS_PER_PERSON live at once.
# The prefix lets secret scanners recognise a leaked token.
REST_KNOX: dict[str, object] = {
    "TOKEN_TTL": timedelta(days=env_int("ICSVOICE_API_TOKEN_DAYS", 30)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": env_int("ICSVOICE_API_TOKENS_PER_PERSON", 5),
    "TOKEN_PREFIX": "icsv_",
    "AUTH_HEADER_PREFIX": "Token",
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ICSVOICE_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every page and font subset of a meeting pack at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
