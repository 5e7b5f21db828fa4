"""Thin Celery tasks around imports.jobs. Scheduled: `purge_stale_uploads` hourly (config/settings/base.py)."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name="imports.tasks.check_job")
def check_job(job_id: str) -> str:
    return jobs.run_check(job_id).status


@shared_task(name="imports.tasks.commit_job")
def commit_job(job_id: str) -> str:
    return jobs.run_commit(job_id).status


@shared_task(name="imports.tasks.export_job")
def export_job(job_id: str) -> str:
    from . import exports

    return exports.run(job_id).status


@shared_task(name="imports.tasks.purge_stale_uploads")
def purge_stale_uploads() -> int:
    """Uploads nobody confirmed and export files, each after 24 hours."""
    from . import exports

    return jobs.purge_stale() + exports.purge_expired()
