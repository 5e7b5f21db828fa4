"""Settings shared by every environment. One environ.Env() reads the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "accounts",
    "beneficiaries",
    "campaigns",
    "visits",
    "custody",
    "services",
    "oversight",
    "imports",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "exchange",
    "assistance",
    "earlywarning",
    "import_export",
]

MIDDLEWARE = [
    # First: a full ID number in a query string is refused before anything can see or log it.
    "accounts.middleware.RefuseIdNumberInQueryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.error_headers.ErrorPageHeadersMiddleware",  # 4xx/5xx: the same headers as every page
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.rls.RowScopeMiddleware",  # the second lock: the user's area prefixes for RLS
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.NoStoreForAuthenticatedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.denials.DeniedRequestLogMiddleware",  # 403s and 404s on record routes, audited
    # Axes last, as its docs ask, so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.navigation",
                "accounts.notifications.unread",
            ],
        },
    },
]

# One engine everywhere: PostgreSQL. `make run` and `make test` export DATABASE_URL for the
# embedded server (socket in var/pgdata) when it is not set; the default names that same server,
# so `manage.py` works beside a running `make run`. Production requires the variable.
EMBEDDED_DATABASE_URL = f"postgres://postgres@/{BASE_DIR / 'var' / 'pgdata'}/care"
DATABASES = {"default": env.db("DATABASE_URL", default=EMBEDDED_DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before a request reuses it: after a PostgreSQL restart the first
# request of each thread would otherwise fail with a 500 (docs/testing.md, Faults on purpose).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT off for the application's connections (issue 13): the report and list statements cost just
# over jit_above_cost on 2,000-household chunks, and compiling them took longer than running them.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(filter(None, [_options.get("options", ""), "-c jit=off"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reads of reports, dashboards and big exports may go to a streaming replica (config/replica.py).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**DATABASES["default"], **env.db("DATABASE_REPLICA_URL"), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
# Two database roles (docs/deployment.md): DATABASE_URL connects as the application role, which
# owns nothing; `manage.py migrate_as_owner` connects with MIGRATION_DATABASE_URL as the owning role.
MIGRATION_DATABASE_URL = env("MIGRATION_DATABASE_URL", default="")
DB_OWNER_ROLE = env("DB_OWNER_ROLE", default="care_owner")
DB_APP_ROLE = env("DB_APP_ROLE", default="care_app")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.NotRecentlyUsedValidator", "OPTIONS": {"history": 5}},
]

# Lockout: 5 failures lock the (username, IP) pair for 15 minutes; stored in the database.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lock lasts 15 minutes from the fifth failure; trying again meanwhile does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Sessions end after 30 idle minutes (enforced by accounts.middleware.IdleTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
SESSION_COOKIE_AGE = 12 * 60 * 60
# Sessions are read from Redis and written through to the database (which stays the fallback if
# Redis is lost): no session SELECT on a request (issue 25, docs/performance.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Celery (cookiecutter-django style). The beat schedule lives here, in one place.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    "visits-overdue-alerts-daily": {
        "task": "visits.tasks.overdue_alerts_daily",
        "schedule": crontab(hour=7, minute=0),
    },
    "campaigns-daily": {
        "task": "campaigns.tasks.campaigns_daily",
        "schedule": crontab(hour=7, minute=5),
    },
    "services-escalate-overdue-referrals": {
        "task": "services.tasks.escalate_overdue_referrals",
        "schedule": crontab(hour=7, minute=10),
    },
    "visits-daily-digest": {
        "task": "visits.tasks.daily_digest",
        "schedule": crontab(hour=7, minute=30),
    },
    "custody-reconcile-balances-nightly": {
        "task": "custody.tasks.reconcile_balances",
        "schedule": crontab(hour=2, minute=30),
    },
    "earlywarning-warnings-daily": {
        "task": "earlywarning.tasks.warnings_daily",
        "schedule": crontab(hour=7, minute=5),
    },
    "earlywarning-escalate-unverified": {
        "task": "earlywarning.tasks.escalate_unverified",
        "schedule": crontab(minute=15),
    },
    "imports-purge-stale-uploads": {
        "task": "imports.tasks.purge_stale_uploads",
        "schedule": crontab(minute=20),
    },
    "oversight-refresh-monthly-figures": {  # the dashboards' closed-month figures (issue 25)
        "task": "oversight.tasks.refresh_monthly_figures",
        "schedule": crontab(hour=1, minute=30),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The browser outbox posts visits with fetch: a stale CSRF token gets JSON it can act on.
CSRF_FAILURE_VIEW = "visits.views.csrf_failure"

# Notifications (accounts.notifications): in-app always; these channels only when configured.
NOTIFY_SMS_URL = env("NOTIFY_SMS_URL", default="")
NOTIFY_SMS_KEY = env("NOTIFY_SMS_KEY", default="")
NOTIFY_SMS_SIGN = env("NOTIFY_SMS_SIGN", default="黔东南民政")
NOTIFY_WECOM_WEBHOOK = env("NOTIFY_WECOM_WEBHOOK", default="")
NOTIFY_HTTP_TIMEOUT = env.int("NOTIFY_HTTP_TIMEOUT", default=10)
# One date format everywhere (2026-11-30), overriding Django's zh_Hans "2026年11月30日".
FORMAT_MODULE_PATH = ["config.formats"]
# Personal data at rest (accounts/crypto.py): AES-GCM keys "kid:base64,…", the current key id,
# and a separate HMAC key for the blind index. local/test set fixed dev keys; production requires them.
FIELD_KEYS = env("FIELD_KEYS", default="")
FIELD_KEY_ID = env("FIELD_KEY_ID", default="")
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="")

# Second factor (accounts/otp.py): the issuer name shown in authenticator apps.
OTP_TOTP_ISSUER = "关爱帮扶"

# --- the departments' API (exchange app): DRF + OpenAPI 3 ------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["exchange.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["exchange.api.permissions.HasDepartmentToken"],
    "DEFAULT_THROTTLE_CLASSES": ["exchange.api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "exchange.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "exchange.api.errors.exception_handler",
}
# Requests per token per minute (Redis cache, DRF throttling); one department system, one budget.
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=120)
SPECTACULAR_SETTINGS = {
    "TITLE": "关爱帮扶 部门数据共享接口",
    "DESCRIPTION": (
        "黔东南州特殊困难群体关爱帮扶系统面向各部门业务系统的数据共享接口（第一版，一门受理、协同办理）。\n\n"
        "- 认证：请求头 `Authorization: Bearer 令牌`。令牌由州民政局签发，绑定一个部门、若干帮扶领域和一个区划，"
        "到期或吊销后返回 401。\n"
        "- 数据范围：只能读取本部门、本领域、本区划的数据；范围外与不存在一样返回 404。身份证号一律脱敏，"
        "每次读取个人信息都记入审计日志。\n"
        "- 分页：`page`、`page_size`(最多500)；增量同步：`updated_since`(ISO 8601)；区划：`area`(12位代码)。\n"
        "- 限流：每个令牌每分钟请求数有上限，超过返回 429，请稍后重试。\n"
        "- 错误：400 参数有误(逐项中文说明)，409 当前状态不能进行此操作。"
    ),
    "TAGS": [
        {"name": "转介", "description": "转给本部门的转介：查询、受理、开始办理、办结、不予受理。"},
        {"name": "清单", "description": "本部门领域的第四部分(§4)政策清单。"},
        {"name": "家庭", "description": "转介或清单中家庭的最少必要信息。"},
        {"name": "数据比对", "description": "推送本部门名单，与花名册比对，生成待县级决定的提议。"},
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {},
}

# Content-Security-Policy (django-csp 4): scripts only from our origin or inline with the
# per-response nonce ({{ request.csp_nonce }}); no inline event handlers, no eval. Styles still
# allow inline (style attributes in templates, htmx's indicator style). See docs/security-privacy.md.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],  # Redoc's search worker on the API reference page
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
