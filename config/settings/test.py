"""Test settings: the real PostgreSQL and Redis named by DATABASE_URL / REDIS_URL."""

from .base import *  # noqa: F401,F403
from .base import env

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
MEDIA_ROOT = env("MEDIA_ROOT", default="/tmp/care-test-media")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Fixed, public test keys for accounts/crypto.py (dev2 exists so rotation can be tested).
FIELD_KEYS = "dev1:GLHqrG6IGDywytkmqwpwa1XdL0RdKJkxaXFMdOYhENw=,dev2:GdOj2+SKmeeRDMxlJln5Y74yf8Ng2LHLpSFDQqwMu5Q="
FIELD_KEY_ID = "dev1"
BLIND_INDEX_KEY = "WqJb4jiIxfcSwTEYGoaNuzXLSmtIPr88U+L5fyvtf6Q="
