"""Celery application, wired as in cookiecutter-django: settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("care")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
