"""Care record book pages: one household's PDF; a village's books built in the background with
a progress bar (htmx polling)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import AREA_ROLES, Area, AuditAction
from accounts.scoping import get_object_for_user, has_role
from beneficiaries.models import Household

from . import recordbook, tasks
from .models import JobStatus, RecordBookJob


@login_required
def household_book(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_for_user(request.user, recordbook.households_for_books(Household.objects.all()), pk=pk)
    pdf = recordbook.book_pdf(household, timezone.localdate())
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=household, request=request,
                 details={"document": "care_record_book"})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="record-book-{household.code}.pdf"'
    return response


def _village_for(request: HttpRequest, code: str) -> Area:
    if not (request.user.is_superuser or has_role(request.user, *AREA_ROLES)):
        raise Http404
    village = get_object_for_user(request.user, Area, code=code)
    if village.level != "village":
        raise Http404
    return village


@login_required
def village_books(request: HttpRequest, code: str) -> HttpResponse:
    village = _village_for(request, code)
    jobs = RecordBookJob.objects.filter(village=village).select_related("requested_by")[:10]
    households = Household.objects.filter(village=village, status="active").count()
    return render(request, "oversight/recordbook_village.html", {"village": village, "jobs": jobs,
                                                                  "households": households})


@login_required
@require_POST
def village_books_start(request: HttpRequest, code: str) -> HttpResponse:
    village = _village_for(request, code)
    job = RecordBookJob.objects.create(village=village, requested_by=request.user)
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=job, request=request,
                 details={"document": "care_record_books", "village": village.code})
    transaction.on_commit(lambda: tasks.build_village_books.delay(job.pk))
    return redirect("oversight:record_book_job", job.pk)


def _job_for(request: HttpRequest, pk: int) -> RecordBookJob:
    if not (request.user.is_superuser or has_role(request.user, *AREA_ROLES)):
        raise Http404
    return get_object_for_user(request.user, RecordBookJob.objects.select_related("village"), pk=pk)


@login_required
def record_book_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    template = "oversight/partials/job_progress.html" if request.headers.get("HX-Request") else \
        "oversight/recordbook_job.html"
    return render(request, template, {"job": job, "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING)})


@login_required
def record_book_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.status != JobStatus.DONE:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=job, request=request,
                 details={"document": "care_record_books", "download": True})
    return upload_response(job.file, f"care-record-books-{job.pk}")
