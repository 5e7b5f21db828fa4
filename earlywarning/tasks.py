"""Thin Celery tasks: take a date, call one action. Scheduled in config/settings/base.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from . import actions


@shared_task(name="earlywarning.tasks.warnings_daily")
def warnings_daily(date: str | None = None) -> dict:
    """07:05: the day's signals and the warnings they call for. Idempotent."""
    today = dt.date.fromisoformat(date) if date else timezone.localdate()
    return asdict(actions.warnings_daily(today=today))


@shared_task(name="earlywarning.tasks.escalate_unverified")
def escalate_unverified() -> int:
    """Hourly: a 紧急 has 24 hours, so its escalation cannot wait for the morning."""
    return actions.warnings_escalate()
