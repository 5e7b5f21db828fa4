"""Thin Celery task: the nightly custody reconciliation. Scheduled in config/settings/base.py."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .reconcile import balances_reconcile


@shared_task(name="custody.tasks.reconcile_balances")
def reconcile_balances(date: str | None = None) -> dict:
    """Idempotent: an account differing twice on one day notifies its county once."""
    today = dt.date.fromisoformat(date) if date else timezone.localdate()
    return balances_reconcile(today=today)
