"""The job page (progress while a task runs, then the result), confirm, and the full error list.
A job is visible only to the user who uploaded it; anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import jobs
from .models import ImportJob, ImportKind, ImportStatus

BACK = {ImportKind.ROSTER: "beneficiaries:roster_import", ImportKind.VISITS: "visits:import"}
DONE_NEXT = {ImportKind.ROSTER: "beneficiaries:roster_list", ImportKind.VISITS: "visits:import"}


def _job(request: HttpRequest, pk) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk, created_by=request.user)
    jobs.notice_interrupted(job)  # a commit whose process died shows as failed, to be run again
    return job


def _context(job: ImportJob) -> dict:
    return {"job": job, "progress": jobs.progress_of(job), "back": reverse(BACK[job.kind]),
            "next": reverse(DONE_NEXT[job.kind]) + job.summary.get("next_query", ""), "errors_shown": len(job.summary.get("errors", [])),
            "can_retry": jobs.can_retry(job)}


@login_required
@require_GET
def job_detail(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "imports/job.html", _context(_job(request, pk)))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk) -> HttpResponse:
    """Polled by htmx every second while the job runs; when it is done the page reloads."""
    job = _job(request, pk)
    response = render(request, "imports/_progress.html", _context(job))
    if not job.running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def job_confirm(request: HttpRequest, pk) -> HttpResponse:
    job = _job(request, pk)
    jobs.confirm(job)
    job.refresh_from_db()
    if job.status == ImportStatus.DONE:  # a small file: committed in this request
        messages.success(request, job.summary.get("message", ""))
        return redirect(reverse(DONE_NEXT[job.kind]) + job.summary.get("next_query", ""))
    return redirect("imports:job", job.pk)


@login_required
@require_GET
def job_errors(request: HttpRequest, pk) -> HttpResponse:
    job = _job(request, pk)
    path = jobs.errors_path(job)
    if job.status not in (ImportStatus.INVALID, ImportStatus.FAILED) or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"导入错误清单_{job.filename}.csv",
                        content_type="text/csv; charset=utf-8")
