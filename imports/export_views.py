"""A background export's page (progress, then the download link) and the download itself.
A job is visible only to the user who asked for it; anyone else gets 404. After 24 hours the
page says the file has expired and the download answers 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import sheets
from accounts.actions import audit_record
from accounts.models import AuditAction

from . import exports
from .models import ExportJob


def _job(request: HttpRequest, pk) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, created_by=request.user)


def _context(job: ExportJob) -> dict:
    now = timezone.now()
    return {"job": job, "progress": exports.progress_of(job), "downloadable": exports.downloadable(job, now),
            "expires_at": exports.expires_at(job), "expired": now >= exports.expires_at(job)}


@login_required
@require_GET
def export_detail(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "imports/export_job.html", _context(_job(request, pk)))


@login_required
@require_GET
def export_progress(request: HttpRequest, pk) -> HttpResponse:
    """Polled by htmx every second while the file is written; when it is done the page reloads."""
    job = _job(request, pk)
    response = render(request, "imports/_export_progress.html", _context(job))
    if not job.running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, pk) -> HttpResponse:
    job = _job(request, pk)
    if not exports.downloadable(job):
        raise Http404
    audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="imports.exportjob", object_id=str(job.pk),
                 object_repr=job.title, request=request,
                 details={"report": job.title, "rows": job.rows, "job": str(job.pk), "download": True})
    response = FileResponse(exports.file_path(job).open("rb"), as_attachment=True, filename=job.filename,
                            content_type=sheets.CSV_TYPE if job.fmt == "csv" else sheets.XLSX_TYPE)
    return response
