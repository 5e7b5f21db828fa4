"""Thin Celery tasks: take a date, call one action. Scheduled in config/settings/base.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from accounts.notifications import redeliver_unsent

from .actions import daily_digest as digest_action
from .actions import overdue_alerts


@shared_task(name="visits.tasks.overdue_alerts_daily")
def overdue_alerts_daily(date: str | None = None) -> dict:
    """Idempotent: a retry or a second worker on the same day changes nothing. Catches up too:
    messages an earlier run could not hand over (Redis down) are handed over now, once."""
    today = dt.date.fromisoformat(date) if date else timezone.localdate()
    redelivered = len(redeliver_unsent())  # before the run: its own new messages are handed over by it
    return {**asdict(overdue_alerts(today=today)), "redelivered": redelivered}


@shared_task(name="visits.tasks.daily_digest")
def daily_digest(date: str | None = None) -> int:
    """07:30: each cadre's due and overdue households. Run twice, sends once."""
    today = dt.date.fromisoformat(date) if date else timezone.localdate()
    return digest_action(today=today)
