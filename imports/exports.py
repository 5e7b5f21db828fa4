"""Background exports (issue 25): a download that can take more than a few seconds to write (the
roster of a county or of the prefecture) is written by a Celery task into a file, on the same
machinery as the imports — a job row, progress in the cache, a page that polls it — and the page
then offers the file to its requester for 24 hours. Small downloads still stream in the request.

An app registers a writer per kind in WRITERS ("app.module.function"): it is called with the
job and a `progress(done, total, phase)` callback and returns (rows, iterator of byte chunks).
The request has already checked the user's rights (scope, second factor) and audited the export;
the task writes what the request would have written, as that user."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from config.replica import use_replica

from .jobs import Reporter, _progress_key
from .models import ExportJob, ExportStatus

EXPORT_DIR = Path(settings.MEDIA_ROOT) / "tmp" / "exports"
MAX_AGE = dt.timedelta(hours=24)
# Above this many rows an export goes to a task. A CSV streams from its first row, so the user
# sees the download start at once; an xlsx sends nothing until the workbook is complete (bench at
# 10,000 households on a loaded 2-core machine: a county's xlsx of ~4,000 people sent its first
# byte after 7.7 s, its CSV after 66 ms). A village's roster stays in the request.
INLINE_ROWS = {"csv": 20_000, "xlsx": 1_000}
WRITERS = {"roster": "beneficiaries.exports.roster_chunks", "visit_ledger": "visits.exports.ledger_chunks"}

Writer = Callable[[ExportJob, Callable[[int, int, str], None]], tuple[int, Iterable[bytes]]]


def file_path(job: ExportJob) -> Path:
    return EXPORT_DIR / f"{job.pk}.{job.fmt}"


def expires_at(job: ExportJob) -> dt.datetime:
    return job.created_at + MAX_AGE


def downloadable(job: ExportJob, now: dt.datetime | None = None) -> bool:
    return job.status == ExportStatus.DONE and (now or timezone.now()) < expires_at(job) and file_path(job).exists()


def start(*, kind: str, title: str, user: User, params: dict[str, Any], fmt: str, filename: str) -> ExportJob:
    """Record the job and hand it to a task once the request's transaction commits."""
    job = ExportJob.objects.create(kind=kind, title=title[:100], created_by=user, params=params, fmt=fmt,
                                   filename=filename[:200])
    from .tasks import export_job

    transaction.on_commit(lambda: export_job.delay(str(job.pk)))
    return job


def progress_of(job: ExportJob) -> dict[str, Any]:
    if not job.running:
        return {"percent": 100, "phase": job.get_status_display()}
    return cache.get(_progress_key(job.pk)) or {"percent": 0, "phase": job.get_status_display()}


def run(job_id) -> ExportJob:
    """Write the file (into a temporary name, renamed when complete) and mark the job done."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ExportStatus.RUNNING:
        return job
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    final = file_path(job)
    partial = final.with_suffix(final.suffix + ".part")
    try:
        writer: Writer = import_string(WRITERS[job.kind])
        # The job's rows may be read from the streaming replica (config/replica.py); the job's
        # own row was read above and is written below, on the primary.
        with use_replica(), partial.open("wb") as out:
            rows, chunks = writer(job, Reporter(job.pk))
            for chunk in chunks:
                if hasattr(chunk, "read"):  # an open file (the xlsx): copy it in blocks
                    with chunk:
                        shutil.copyfileobj(chunk, out, 1 << 20)
                else:
                    out.write(chunk)
        partial.replace(final)
    except Exception:
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, finished_at=timezone.now())
        cache.delete(_progress_key(job.pk))
        raise
    job.status, job.rows, job.size, job.finished_at = ExportStatus.DONE, rows, final.stat().st_size, timezone.now()
    job.save(update_fields=["status", "rows", "size", "finished_at"])
    cache.delete(_progress_key(job.pk))
    return job


def counted(rows: Iterable[Any], total: int, progress, phase: str) -> Iterator[Any]:
    """Pass rows through, reporting progress every 1,000."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % 1000 == 0:
            progress(done, total, phase)
    progress(total, total, phase)


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete export files older than 24 hours and mark their jobs expired (hourly, with the
    imports' purge). Returns the number of files deleted."""
    now = now or timezone.now()
    cutoff = now - MAX_AGE
    stale = list(ExportJob.objects.filter(status__in=[ExportStatus.DONE, ExportStatus.RUNNING, ExportStatus.FAILED],
                                          created_at__lt=cutoff))
    deleted = 0
    for job in stale:
        for path in (file_path(job), file_path(job).with_suffix(f".{job.fmt}.part")):
            if path.exists():
                path.unlink()
                deleted += 1
    ExportJob.objects.filter(pk__in=[j.pk for j in stale]).update(status=ExportStatus.EXPIRED)
    return deleted
