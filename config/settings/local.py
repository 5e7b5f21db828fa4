"""Developer machine: `make run`. The embedded PostgreSQL and Redis are exported by devstack."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret-7c1f0e3a9b2d4e6f8a0b1c2d3e4f5a6b")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Fixed, public development keys for accounts/crypto.py — never use them in production.
DEV_FIELD_KEYS = "dev1:GLHqrG6IGDywytkmqwpwa1XdL0RdKJkxaXFMdOYhENw=,dev2:GdOj2+SKmeeRDMxlJln5Y74yf8Ng2LHLpSFDQqwMu5Q="
FIELD_KEYS = env("FIELD_KEYS", default=DEV_FIELD_KEYS)
FIELD_KEY_ID = env("FIELD_KEY_ID", default="dev1")
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="WqJb4jiIxfcSwTEYGoaNuzXLSmtIPr88U+L5fyvtf6Q=")
