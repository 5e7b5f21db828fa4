"""The care record book (关爱记录册, §5(2)): one printable PDF per household — facts and tier
history, pairing history, visits with their checklist summaries, findings and how they closed,
referrals, custody summary — rendered by WeasyPrint with the CJK font embedded (subset).

A village's books are one PDF built by a background task (`build_village_books`), which updates
its job row after each household so the page can show a progress bar."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from beneficiaries.models import Classification, Household, HouseholdStatus, Pairing, Person
from custody.models import CustodyAccount, LedgerCheck
from services.models import Referral
from visits.models import Finding, Need, Visit

from .models import JobStatus, RecordBookJob


def _checklist(v: Visit) -> str:
    """One line of what a visit recorded."""
    parts = []
    if v.health:
        parts.append(f"健康{v.get_health_display()}")
    living = [(label, getattr(v, name)) for name, label in
              (("food", "食"), ("clothing", "衣"), ("housing", "住"), ("transport", "行"), ("medical", "医"))]
    hard = [label for label, value in living if value == "difficult"]
    if any(value for _l, value in living):
        parts.append("衣食住行医" + ("正常" if not hard else "：" + "、".join(hard) + "有困难"))
    if v.family_support:
        parts.append(f"赡养扶养{v.get_family_support_display()}")
    hazards = [label for name, label in (("house_safety", "房屋"), ("water_safety", "用水"), ("power_safety", "用电"),
                                         ("gas_safety", "用气"), ("heating_safety", "取暖"))
               if getattr(v, name) == "hazard"]
    if any(getattr(v, n) for n in ("house_safety", "water_safety", "power_safety")):
        parts.append("安全隐患：" + "、".join(hazards) if hazards else "房屋水电气暖安全")
    if v.needs:
        labels = dict(Need.choices)  # labels, never the stored values ("daily_care")
        parts.append("服务需求：" + "、".join(str(labels.get(n, n)) for n in v.needs))
    return "；".join(parts)


def households_for_books(qs: QuerySet[Household]) -> QuerySet[Household]:
    """Everything a book shows, prefetched: a fixed number of queries for any number of households."""
    return qs.select_related("village", "village__parent", "village__parent__parent").prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("relation", "birth_date")),
        Prefetch("classifications", queryset=Classification.objects.select_related("decided_by")
                 .order_by("effective_on", "id")),
        Prefetch("pairings", queryset=Pairing.objects.select_related("cadre").order_by("started_on", "id")),
        Prefetch("visits", queryset=Visit.objects.order_by("visited_on", "id")),
        Prefetch("findings", queryset=Finding.objects.prefetch_related("events").order_by("created_at", "id")),
        Prefetch("referrals", queryset=Referral.objects.select_related("field", "department")
                 .order_by("submitted_at", "id")),
    ).order_by("village_id", "code")


def _custody(household: Household) -> list[dict]:
    out = []
    for a in CustodyAccount.objects.filter(person__household=household).select_related("person").prefetch_related(
        "custodians", "caregivers"
    ):
        last = LedgerCheck.objects.filter(account=a).order_by("-checked_on").first()
        current = [c for c in a.custodians.all() if c.ended_on is None]
        carer = [c for c in a.caregivers.all() if c.ended_on is None]
        out.append({"person": a.person.name, "status": a.get_status_display(), "opened_on": a.opened_on,
                    "balance": f"{a.balance_fen / 100:.2f}", "custodian": current[0].name if current else "",
                    "caregiver": carer[0].name if carer else "", "last_check": last})
    return out


def book_context(household: Household, today: dt.date) -> dict:
    visits = list(household.visits.all())
    return {
        "h": household,
        "members": list(household.members.all()),
        "tiers": list(household.classifications.all()),
        "pairings": list(household.pairings.all()),
        "visits": [{"v": v, "summary": _checklist(v)} for v in visits],
        "findings": list(household.findings.all()),
        "referrals": list(household.referrals.all()),
        "custody": _custody(household),
        "today": today,
    }


def book_html(households: list[Household], today: dt.date) -> str:
    return render_to_string("oversight/recordbook.html", {
        "books": [book_context(h, today) for h in households], "today": today,
    })


def render_pdf(html: str):
    from weasyprint import HTML

    return HTML(string=html).render()


def book_pdf(household: Household, today: dt.date) -> bytes:
    return render_pdf(book_html([household], today)).write_pdf()


def build_village_books(job: RecordBookJob) -> RecordBookJob:
    """1. Claim the job (queued → running, once). 2. Render each household's book, counting
    progress on the job row. 3. Join the pages into one PDF and store it."""
    claimed = RecordBookJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    if claimed != 1:
        return job
    today = timezone.localdate()
    households = list(households_for_books(Household.objects.filter(
        village=job.village, status=HouseholdStatus.ACTIVE)))
    RecordBookJob.objects.filter(pk=job.pk).update(total=len(households))
    try:
        documents = []
        for n, h in enumerate(households, start=1):
            documents.append(render_pdf(book_html([h], today)))
            RecordBookJob.objects.filter(pk=job.pk).update(done=n)
        if documents:
            pdf = documents[0].copy([page for d in documents for page in d.pages]).write_pdf()
        else:
            pdf = render_pdf(book_html([], today)).write_pdf()
        job.refresh_from_db()
        job.file.save(f"{job.village_id}-{job.pk}.pdf", ContentFile(pdf), save=False)
        job.status = JobStatus.DONE
        job.save(update_fields=["file", "status"])
    except Exception as exc:  # the page must say it failed rather than spin for ever
        RecordBookJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=str(exc)[:200])
        raise
    job.refresh_from_db()
    return job
