"""Thin Celery task: take a date, call one action. Scheduled in config/settings/base.py."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .actions import campaigns_daily as campaigns_daily_action


@shared_task(name="campaigns.tasks.campaigns_daily")
def campaigns_daily(date: str | None = None) -> dict:
    """07:05: newcomers listed in running campaigns, missed water deliveries alerted. Idempotent."""
    today = dt.date.fromisoformat(date) if date else timezone.localdate()
    return campaigns_daily_action(today=today)
