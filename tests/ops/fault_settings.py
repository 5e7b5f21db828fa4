"""Settings for the application processes the fault tests start (tests/ops/servers.py): the test
settings (same keys, so rows and sessions made by the test are read back), with Celery real —
tasks go through the test's own redis-server to its own worker."""

from config.settings.test import *  # noqa: F401,F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
