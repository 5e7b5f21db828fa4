"""Test settings: the real PostgreSQL and Redis named by DATABASE_URL / REDIS_URL.

The suite runs in parallel (pytest-xdist): each worker gets its own database (pytest-django
appends the worker id, test_care_gw0 …), its own Redis key prefix and its own media folder, so
no worker sees another's rows, keys or files."""

import os

from .base import *  # noqa: F401,F403
from .base import CACHES, DATABASES, env

# "gw0", "gw1" … under xdist; "main" when the suite runs in one process.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# The database name too: two checkouts (or helpers) on one server use different DATABASE_URLs.
_run = f"{DATABASES['default']['NAME']}-{TEST_WORKER}"
CACHES["default"]["KEY_PREFIX"] = f"test:{_run}"

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789abcdef0123456789abcdef"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = os.path.join(env("MEDIA_ROOT", default="/tmp/care-test-media"), TEST_WORKER)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Fixed, public test keys for accounts/crypto.py (dev2 exists so rotation can be tested).
FIELD_KEYS = "dev1:GLHqrG6IGDywytkmqwpwa1XdL0RdKJkxaXFMdOYhENw=,dev2:GdOj2+SKmeeRDMxlJln5Y74yf8Ng2LHLpSFDQqwMu5Q="
FIELD_KEY_ID = "dev1"
BLIND_INDEX_KEY = "WqJb4jiIxfcSwTEYGoaNuzXLSmtIPr88U+L5fyvtf6Q="
