"""Import jobs: store an upload, check it (dry run), commit it once confirmed, report progress.

Small files are checked and committed in the request (a few hundred rows take well under a
second with the bulk writers). Larger files (over `ASYNC_BYTES`) are checked and committed by
Celery tasks: the request only stores the file and answers at once; the job page polls the
progress (htmx) and shows the result when the task is done. Either way the commit is one
transaction — all or nothing — and every error is kept in a CSV the user can download; the
page shows the first `sheets.MAX_ERRORS_SHOWN`.

Progress lives in the cache (Redis), not in the job row: the commit's transaction would hide
row updates from the polling request until it ends.

Unconfirmed uploads hold personal data (full ID numbers): `purge_stale` deletes them after
24 hours (run hourly by beat).

A commit whose process dies (a killed worker, a lost machine) writes nothing: PostgreSQL rolls
its transaction back when the connection goes. The process also holds a session advisory lock
for the job while it commits, which PostgreSQL frees at the same moment; a committing job that
has started and whose lock nobody holds is marked failed (`notice_interrupted`, when its page
is looked at and hourly) and can be run again from its page (docs/testing.md, Faults on purpose)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sheets
from accounts.models import User

from . import registry
from .models import ImportJob, ImportStatus
from .registry import Outcome

# pg_advisory_lock(JOB_LOCK_CLASS, hashtext(job id)) is held by the process committing a job.
JOB_LOCK_CLASS = 0x494D504F  # "IMPO"

ASYNC_BYTES = 32 * 1024  # about 300 roster rows: above this the work goes to a Celery task
UPLOAD_DIR = Path(settings.MEDIA_ROOT) / "tmp" / "imports"
MAX_AGE = dt.timedelta(hours=24)
# Directories where earlier versions of the import pages kept their uploads between preview and confirm.
LEGACY_DIRS = (Path(settings.MEDIA_ROOT) / "roster-imports", Path(settings.MEDIA_ROOT) / "tmp" / "visit-imports")


def upload_path(job: ImportJob) -> Path:
    return UPLOAD_DIR / f"{job.pk}{Path(job.filename).suffix.lower()}"


def errors_path(job: ImportJob) -> Path:
    return UPLOAD_DIR / f"{job.pk}-errors.csv"


def table_path(job: ImportJob) -> Path:
    return UPLOAD_DIR / f"{job.pk}-table.json"


def _table(job: ImportJob, content: bytes) -> list[list[str]] | None:
    """The upload as sheets.read_table reads it, parsed once: the check stores it beside the
    upload (JSON, deleted with it) and the commit reads it back instead of parsing the file again
    — an xlsx's parse is most of a large import's time (issue 25). None when the file cannot be
    read: the importer then reads it itself and reports why."""
    path = table_path(job)
    if path.exists():
        try:
            return json.loads(path.read_bytes())
        except ValueError:
            path.unlink(missing_ok=True)
    try:
        table = sheets.read_table(content, job.filename)
    except sheets.SheetError:
        return None
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return table


# --- progress ----------------------------------------------------------------------------------


def _progress_key(job_id) -> str:
    return f"import-progress:{job_id}"


class Reporter:
    """The progress callback given to the importers: writes (done, total, phase) to the cache,
    at most a few times a second."""

    def __init__(self, job_id, phase_offset: float = 0.0, phase_share: float = 1.0):
        self.job_id = job_id
        self.offset, self.share = phase_offset, phase_share
        self.last = 0.0

    def __call__(self, done: int, total: int, phase: str) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.25:
            return
        self.last = now
        fraction = self.offset + self.share * (done / total if total else 1.0)
        cache.set(_progress_key(self.job_id), {"percent": round(100 * min(fraction, 1.0)), "phase": phase}, 3600)


def progress_of(job: ImportJob) -> dict[str, Any]:
    if not job.running:
        return {"percent": 100, "phase": job.get_status_display()}
    return cache.get(_progress_key(job.pk)) or {"percent": 0, "phase": job.get_status_display()}


# --- the importers -----------------------------------------------------------------------------


# The importers themselves live with the data they write (beneficiaries.import_job, visits.imports)
# and are registered in their apps' ready(): see registry.py.


# --- lifecycle ------------------------------------------------------------------------------------


def start(*, kind: str, user: User, filename: str, content: bytes) -> ImportJob:
    """Store the upload and check it: at once for a small file, in a task for a large one."""
    job = ImportJob.objects.create(kind=kind, created_by=user, filename=Path(filename).name[:200], size=len(content))
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    upload_path(job).write_bytes(content)
    if len(content) > ASYNC_BYTES:
        from .tasks import check_job

        transaction.on_commit(lambda: check_job.delay(str(job.pk)))
    else:
        run_check(job.pk)
        job.refresh_from_db()
    return job


def _content(job: ImportJob) -> bytes | None:
    path = upload_path(job)
    return path.read_bytes() if path.exists() else None


def _finish(job: ImportJob, status: str, outcome: Outcome | None, message: str = "") -> None:
    job.status = status
    job.finished_at = timezone.now()
    if outcome is not None:
        job.rows = outcome.rows
        job.error_count = len(outcome.errors)
        job.summary = {**outcome.summary,
                       "errors": [[e.row, e.column, e.message] for e in outcome.errors[:sheets.MAX_ERRORS_SHOWN]]}
        if outcome.errors:
            errors_path(job).write_bytes(sheets.errors_csv(outcome.errors))
    if message:
        job.summary = {**job.summary, "message": message}
    job.save()
    cache.delete(_progress_key(job.pk))


def run_check(job_id) -> ImportJob:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    content = _content(job)
    if content is None:
        _finish(job, ImportStatus.EXPIRED, None, _("文件已过期，请重新上传。"))
        return job
    try:
        outcome = registry.importer_for(job.kind)(job, content, commit=False, progress=Reporter(job.pk),
                                                  table=_table(job, content))
    except Exception:
        _finish(job, ImportStatus.FAILED, None, _("检查文件时出错，未写入任何数据。请重新上传，或联系管理员。"))
        raise
    _finish(job, ImportStatus.INVALID if outcome.errors else ImportStatus.CHECKED, outcome)
    if outcome.errors:
        upload_path(job).unlink(missing_ok=True)
        table_path(job).unlink(missing_ok=True)
    return job


def can_retry(job: ImportJob) -> bool:
    """A failed commit (an error, or its process died) whose file is still here can be run again."""
    return job.status == ImportStatus.FAILED and not job.error_count and upload_path(job).exists()


def confirm(job: ImportJob) -> bool:
    """Move a checked job (or a failed one that can be run again) to committing — once: a second
    click or a second tab changes nothing — and commit it: in the request for a small file, in a
    task for a large one."""
    claimable = [ImportStatus.CHECKED, *([ImportStatus.FAILED] if can_retry(job) else [])]
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=claimable).update(
        status=ImportStatus.COMMITTING, started_at=None, finished_at=None, updated_at=timezone.now())
    if not claimed:
        return False
    if job.size > ASYNC_BYTES:
        from .tasks import commit_job

        transaction.on_commit(lambda: commit_job.delay(str(job.pk)))
    else:
        run_commit(job.pk)
    return True


@contextlib.contextmanager
def _commit_lock(job_id):
    """Hold the job's advisory lock on this process's connection for the block; yields False
    when another process holds it (that process is committing the job)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [JOB_LOCK_CLASS, str(job_id)])
        mine = cur.fetchone()[0]
    try:
        yield mine
    finally:
        if mine and connection.is_usable():
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [JOB_LOCK_CLASS, str(job_id)])


def run_commit(job_id) -> ImportJob:
    """1. Take the job's advisory lock, then claim the job (status committing, not yet started):
       a task delivered twice (a redelivery after a worker died) commits it once.
    2. Commit in one transaction; mark the job done, or failed with nothing written."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.COMMITTING:
        return job
    with _commit_lock(job.pk) as mine:
        if not mine:
            return job
        started = timezone.now()
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.COMMITTING, started_at__isnull=True).update(
                started_at=started, updated_at=started):
            job.refresh_from_db()
            return job
        job.started_at = started
        return _commit(job)


def _commit(job: ImportJob) -> ImportJob:
    content = _content(job)
    if content is None:
        _finish(job, ImportStatus.EXPIRED, None, _("文件已过期，请重新上传。"))
        return job
    try:
        outcome = registry.importer_for(job.kind)(job, content, commit=True, progress=Reporter(job.pk),
                                                  table=_table(job, content))
    except Exception:
        _finish(job, ImportStatus.FAILED, None, _("导入时出错，未写入任何数据。请稍后重试，或联系管理员。"))
        raise
    _finish(job, ImportStatus.FAILED if outcome.errors else ImportStatus.DONE, outcome)
    upload_path(job).unlink(missing_ok=True)
    table_path(job).unlink(missing_ok=True)
    return job


_INTERRUPTED = f"""
UPDATE {ImportJob._meta.db_table} AS j
SET status = %(failed)s, finished_at = %(now)s, updated_at = %(now)s,
    summary = j.summary || jsonb_build_object('message', %(message)s::text)
WHERE j.status = %(committing)s AND j.started_at IS NOT NULL AND (%(id)s::uuid IS NULL OR j.id = %(id)s::uuid)
  AND NOT EXISTS (
      SELECT 1 FROM pg_locks AS l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = %(lock_class)s::int::oid AND l.objid = hashtext(j.id::text)::oid)
"""


def notice_interrupted(job: ImportJob | None = None) -> int:
    """Mark failed the committing jobs (this one, or all) whose process died mid-commit: started,
    and nobody holds their advisory lock. PostgreSQL rolled their transaction back, so nothing
    was written; the file is kept and the job can be run again. Returns the number marked."""
    if job is not None and (job.status != ImportStatus.COMMITTING or job.started_at is None):
        return 0
    with connection.cursor() as cur:
        cur.execute(_INTERRUPTED, {
            "failed": ImportStatus.FAILED, "committing": ImportStatus.COMMITTING, "now": timezone.now(),
            "id": str(job.pk) if job is not None else None, "lock_class": JOB_LOCK_CLASS,
            "message": _("导入中断（处理程序意外停止），未写入任何数据。可以点击“重新导入”再试一次。"),
        })
        marked = cur.rowcount
    if marked and job is not None:
        job.refresh_from_db()
    return marked


def purge_stale(now: dt.datetime | None = None) -> int:
    """Delete uploads (and error lists) older than 24 hours that nobody confirmed; jobs left
    unconfirmed are marked expired. Returns the number of files deleted."""
    now = now or timezone.now()
    cutoff = now - MAX_AGE
    notice_interrupted()
    ImportJob.objects.filter(status__in=[ImportStatus.CHECKED, ImportStatus.INVALID, ImportStatus.CHECKING],
                             created_at__lt=cutoff).update(status=ImportStatus.EXPIRED, updated_at=now)
    deleted = 0
    for folder in (UPLOAD_DIR, *LEGACY_DIRS):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if path.is_file() and dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
    return deleted
