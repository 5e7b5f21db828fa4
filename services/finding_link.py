"""The link to the visits app: a referral opened from a visit finding, and the finding closed
when the referral is resolved (the loop closes where it opened). The finding's own state change
is the visits app's action, `visits.actions.finding_transition`; nothing here re-implements it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import SMS, notify
from beneficiaries.display import household_text
from visits.actions import finding_transition
from visits.checklist import FINDING_POLICY, referral_field_for
from visits.models import Finding, FindingStatus

from .models import Referral, ReferralAction, ReferralEvent, ReferralStatus

# The kinds of finding that lead to a referral, and the field a sender most likely means: read
# from the one finding policy (visits.checklist.FINDING_POLICY).
REFERABLE_KINDS = {kind: p.referral_field for kind, p in FINDING_POLICY.items() if p.referral_field}


def suggested_field_code(finding: Finding) -> str:
    return referral_field_for(finding.kind) or "basic-living"


def mark_referred(*, referral: Referral, actor: User, request: HttpRequest | None = None) -> None:
    """An open finding moves to "in progress" once it is referred (the sender reaches the
    household, so the visits action accepts them)."""
    finding = referral.finding
    if finding is None or finding.status != FindingStatus.OPEN:
        return
    finding_transition(
        actor=actor, finding=finding, to_status=FindingStatus.IN_PROGRESS,
        note=_("已转介至%(dept)s") % {"dept": referral.department.name},
        today=timezone.localdate(referral.submitted_at), request=request,
    )


def close_finding(*, referral: Referral, actor: User, now: dt.datetime, request: HttpRequest | None = None) -> bool:
    """Close the finding a resolved referral came from, with the department's outcome, in the
    name of the liaison who resolved it (the visits action accepts them through the referral).
    If the finding cannot be closed (already closed meanwhile), the referral's timeline says
    so. Returns whether the finding was closed."""
    finding = Finding.objects.select_related("household__village").get(pk=referral.finding_id)
    if finding.status == FindingStatus.CLOSED:
        return False
    note = _("转介办结（%(dept)s %(who)s）：%(outcome)s") % {
        "dept": referral.department.name, "who": actor.display_name, "outcome": referral.outcome,
    }
    try:
        with transaction.atomic():
            finding_transition(actor=actor, finding=finding, to_status=FindingStatus.CLOSED, note=note,
                               today=timezone.localdate(now), request=request, via_referral=referral)
        return True
    except (PermissionDenied, ValidationError):
        ReferralEvent.objects.create(
            referral=referral, action=ReferralAction.NOTE, from_status=referral.status, to_status=referral.status,
            note=_("来源问题未能自动办结，请责任人在走访问题中办结。"), actor=None, at=now,
        )
        return False


def tell_finding_raiser(*, referral: Referral) -> None:
    """The one who raised the finding a referral came from hears its outcome (resolved or
    declined) — in the inbox and, where configured, by SMS. Once per referral."""
    finding = Finding.objects.select_related("household__village").get(pk=referral.finding_id)
    if referral.status == ReferralStatus.RESOLVED:
        title = _("您登记的问题（%(household)s）已由%(dept)s办结：%(text)s") % {
            "household": household_text(finding.household), "dept": referral.department.name, "text": referral.outcome}
    elif referral.status == ReferralStatus.DECLINED:
        title = _("您登记的问题（%(household)s）转介%(dept)s未予受理：%(text)s") % {
            "household": household_text(finding.household), "dept": referral.department.name, "text": referral.decline_reason}
    else:
        return
    notify([finding.created_by_id], key=f"referral-outcome:{referral.pk}", title=title, household=finding.household,
           url=reverse("visits:finding", args=[finding.pk]), channels=(SMS,))
