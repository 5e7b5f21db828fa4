"""Thin Celery tasks of accounts."""

from __future__ import annotations

from celery import shared_task

from .notifications import deliver


@shared_task(name="accounts.tasks.deliver_notifications")
def deliver_notifications(ids: list[int]) -> dict:
    """Send new notifications on their external channels (SMS, WeCom); at most once each."""
    return deliver(ids)
