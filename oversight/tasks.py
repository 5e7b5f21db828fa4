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
