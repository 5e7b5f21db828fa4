"""Thin Celery task: escalate late referrals to the county civil affairs office. Scheduled in
config/settings/base.py."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .actions import referrals_escalate_overdue


@shared_task(name="services.tasks.escalate_overdue_referrals")
def escalate_overdue_referrals() -> int:
    """Idempotent: a referral is escalated once (conditional update)."""
    return referrals_escalate_overdue(now=timezone.now())
