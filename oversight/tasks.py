"""Thin Celery tasks of oversight."""

from __future__ import annotations

from celery import shared_task

from .models import RecordBookJob


@shared_task(name="oversight.tasks.build_village_books")
def build_village_books(job_id: int) -> int:
    """Idempotent: a job already claimed by another run is left alone."""
    from .recordbook import build_village_books as build

    job = RecordBookJob.objects.select_related("village").get(pk=job_id)
    return build(job).done


@shared_task(name="oversight.tasks.refresh_monthly_figures")
def refresh_monthly_figures(date: str | None = None) -> int:
    """Nightly (config/settings/base.py CELERY_BEAT_SCHEDULE): the dashboards' closed-month figures,
    and this month's compliance and overdue households per village."""
    import datetime as dt

    from django.utils import timezone

    from . import figures

    on = dt.date.fromisoformat(date) if date else timezone.localdate()
    return figures.refresh_monthly(on) + figures.refresh_daily(on)
