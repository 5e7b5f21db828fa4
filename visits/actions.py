"""Writes of the visits app. Each state change is one keyword-only, transactional function that
validates, saves and audits; views, imports, the command and the Celery task call these."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction, Role, User
from accounts.permissions import require
from accounts.scoping import area_prefixes, has_role, scope_queryset
from beneficiaries.models import Classification, Household, HouseholdStatus, Pairing

from . import queries, rules
from .models import (
    FINDING_TRANSITIONS,
    REMOTE_MODES,
    Escalation,
    EscalationKind,
    EscalationLevel,
    Finding,
    FindingEvent,
    FindingKind,
    FindingStatus,
    Notification,
    OverdueAlert,
    Pause,
    SpecialPeriod,
    Visit,
    VisitMode,
    VisitPhoto,
    VisitPolicy,
    VisitSource,
)

# Days a finding has until it should be closed, unless the recorder sets a date.
FINDING_DUE_DAYS = {
    FindingKind.SPECIAL: 3,
    FindingKind.HAZARD: 7,
    FindingKind.SERVICE_NEED: 15,
    FindingKind.BENEFIT: 30,
}

CHECKLIST_FIELDS = (
    "health", "health_note", "food", "clothing", "housing", "transport", "medical", "living_note", "benefits",
    "family_support", "house_safety", "water_safety", "power_safety", "gas_safety", "heating_safety", "needs",
)


# --- schedule -------------------------------------------------------------------------------


def schedule_refresh(*, households: QuerySet[Household], today: dt.date) -> int:
    """Recompute the stored next due date of `households` with the rules, and write every
    change in ONE set-based UPDATE. Returns the number of rows changed.

    Reads are set-based too (visits.queries.load_histories: a fixed number of queries)."""
    by_id = queries.schedules(households, today)
    ids = list(by_id)
    dues = [by_id[i].next_due for i in ids]
    if not ids:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE beneficiaries_household AS h SET next_due_on = v.due
            FROM unnest(%s::bigint[], %s::date[]) AS v(id, due)
            WHERE h.id = v.id AND h.next_due_on IS DISTINCT FROM v.due
            """,
            [ids, dues],
        )
        return cur.rowcount


_require = require  # the one permission helper (accounts/permissions.py)


def _can_reach_household(actor: User, household: Household) -> bool:
    return scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists()


# --- policy, pauses, special periods ---------------------------------------------------------


@transaction.atomic
def policy_set(
    *,
    actor: User,
    county: Area,
    tier: str,
    interval_days: int,
    monthly_minimum: int,
    effective_on: dt.date,
    reason: str,
    today: dt.date,
    request: HttpRequest | None = None,
) -> VisitPolicy:
    """The prefecture bureau sets a county's interval and monthly minimum for a tier from a date;
    the county's stored due dates are recomputed in one statement."""
    _require(actor.is_superuser or has_role(actor, Role.PREFECTURE), _("只有州民政局可以设置走访频次。"))
    if county.level != AreaLevel.COUNTY:
        raise ValidationError({"county": _("请选择县(市)。")})
    previous = queries.policy_for(county.code, effective_on).get(tier)
    policy = VisitPolicy(
        county=county, tier=tier, interval_days=interval_days, monthly_minimum=monthly_minimum,
        effective_on=effective_on, reason=reason, set_by=actor,
    )
    policy.full_clean()
    policy.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=policy, request=request,
        details={
            "county": county.code, "tier": tier, "effective_on": effective_on.isoformat(),
            "old": [previous.interval_days, previous.monthly_minimum] if previous else None,
            "new": [interval_days, monthly_minimum], "reason": reason,
        },
    )
    schedule_refresh(households=queries.households_in_area(county).filter(status=HouseholdStatus.ACTIVE), today=today)
    return policy


@transaction.atomic
def pause_record(
    *,
    actor: User,
    household: Household,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    reason: str,
    today: dt.date,
    request: HttpRequest | None = None,
) -> Pause:
    _require(_can_reach_household(actor, household), _("无权操作该家庭。"))
    pause = Pause(household=household, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor)
    pause.full_clean()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    overlapping = household.pauses.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on), **({"starts_on__lte": ends_on} if ends_on else {})
    )
    if overlapping.exists():
        raise ValidationError(_("该时段与已登记的暂停重叠。"))
    pause.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=pause, request=request,
                 details={"household": household.code, "kind": kind, "starts_on": str(starts_on), "ends_on": str(ends_on)})
    schedule_refresh(households=Household.objects.filter(pk=household.pk), today=today)
    return pause


@transaction.atomic
def pause_end(
    *, actor: User, pause: Pause, ends_on: dt.date, today: dt.date, request: HttpRequest | None = None
) -> Pause:
    _require(_can_reach_household(actor, pause.household), _("无权操作该家庭。"))
    if ends_on < pause.starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    if ends_on > today:
        raise ValidationError({"ends_on": _("结束日期不能晚于今天。")})
    updated = Pause.objects.filter(pk=pause.pk, ends_on__isnull=True).update(ends_on=ends_on)
    if updated != 1:
        raise ValidationError(_("该暂停已结束。"))
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=pause, request=request,
                 details={"ends_on": [None, ends_on.isoformat()]})
    schedule_refresh(households=Household.objects.filter(pk=pause.household_id), today=today)
    pause.refresh_from_db()
    return pause


def recount_visits(*, area: Area) -> int:
    """Whether each remote visit in `area` counts, after special periods changed: one UPDATE."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE visits_visit AS v SET counted = (v.mode = 'in_person' OR EXISTS (
                SELECT 1 FROM visits_specialperiod s
                WHERE v.visited_on BETWEEN s.starts_on AND s.ends_on
                  AND s.area_id IN (rpad(left(h.village_id, 4), 12, '0'), rpad(left(h.village_id, 6), 12, '0'),
                                    rpad(left(h.village_id, 9), 12, '0'), h.village_id)))
            FROM beneficiaries_household AS h
            WHERE h.id = v.household_id AND h.village_id LIKE %s AND v.mode <> 'in_person'
            """,
            [area.prefix + "%"],
        )
        return cur.rowcount


@transaction.atomic
def special_period_declare(
    *,
    actor: User,
    area: Area,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
    today: dt.date,
    request: HttpRequest | None = None,
) -> SpecialPeriod:
    """County or prefecture declares an epidemic/disaster period: phone and video visits in the
    area count from its start to its end, including those already recorded."""
    _require(
        actor.is_superuser
        or any(area.code.startswith(p) for p in area_prefixes(actor, roles=(Role.COUNTY, Role.PREFECTURE))),
        _("只有县(市)或州民政局可以在本辖区宣布特殊时期。"),
    )
    period = SpecialPeriod(area=area, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason, declared_by=actor)
    period.full_clean()
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    period.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=period, request=request,
                 details={"area": area.code, "kind": kind, "starts_on": str(starts_on), "ends_on": str(ends_on)})
    recount_visits(area=area)
    schedule_refresh(households=queries.households_in_area(area).filter(status=HouseholdStatus.ACTIVE), today=today)
    return period


# --- visits and findings ---------------------------------------------------------------------


@dataclass(frozen=True)
class FindingInput:
    kind: str
    description: str
    due_on: dt.date | None = None


@dataclass
class VisitInput:
    visited_on: dt.date
    mode: str = VisitMode.IN_PERSON
    met_with: str = ""
    checklist: dict = field(default_factory=dict)
    wishes: str = ""
    notes: str = ""
    late_reason: str = ""
    visitor_name: str = ""


def _notify(users: Sequence[int], *, key: str, title: str, household: Household | None) -> None:
    Notification.objects.bulk_create(
        [Notification(recipient_id=u, key=key, title=title[:200], household=household) for u in set(users)],
        ignore_conflicts=True,
    )


def _officials(role: str, area_code: str) -> list[int]:
    from accounts.models import RoleAssignment

    return list(RoleAssignment.objects.filter(role=role, area_id=area_code).values_list("user_id", flat=True))


def _paired_cadre_user(household: Household) -> User | None:
    pairing = Pairing.objects.filter(household=household, ended_on__isnull=True).select_related("cadre__user").first()
    return pairing.cadre.user if pairing and pairing.cadre.user_id else None


def _finding_open(*, actor: User, household: Household, visit: Visit | None, data: FindingInput, today: dt.date,
                  request: HttpRequest | None) -> Finding:
    if not data.description.strip():
        raise ValidationError({"findings": _("请填写问题描述。")})
    due_on = data.due_on or today + dt.timedelta(days=FINDING_DUE_DAYS.get(data.kind, 15))
    if due_on < today:
        raise ValidationError({"findings": _("办结期限不能早于今天。")})
    finding = Finding(
        household=household, visit=visit, kind=data.kind, description=data.description.strip(),
        owner=_paired_cadre_user(household) or actor, due_on=due_on, created_by=actor,
    )
    finding.full_clean()
    finding.save()
    FindingEvent.objects.create(finding=finding, from_status="", to_status=FindingStatus.OPEN,
                                note=finding.description, actor=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=finding, request=request,
                 details={"kind": data.kind, "household": household.code})
    if data.kind == FindingKind.SPECIAL:
        # §5(2): special situations are reported to the local government at once.
        township = queries.township_of(household.village_id)
        escalation = Escalation.objects.create(
            household=household, kind=EscalationKind.SPECIAL, level=EscalationLevel.TOWNSHIP, area_id=township,
            finding=finding, summary=finding.description[:200], opened_on=today,
        )
        _notify(_officials(Role.TOWNSHIP, township), key=f"escalation:{escalation.pk}",
                title=_("特殊情况报告：%(code)s %(text)s") % {"code": household.code, "text": finding.description[:60]},
                household=household)
    return finding


@transaction.atomic
def visit_record(
    *,
    actor: User,
    household: Household,
    data: VisitInput,
    findings: Sequence[FindingInput] = (),
    photos: Sequence[UploadedFile] = (),
    source: str = VisitSource.FORM,
    client_token: uuid.UUID | None = None,
    today: dt.date,
    request: HttpRequest | None = None,
) -> Visit:
    """Record one visit with its checklist, photos and findings.

    1. The visitor must reach the household: paired cadre, staff of the agency it is assigned
       to, or an official whose area covers it.
    2. No date in the future; a late entry needs a reason.
    3. Lock the household, save the visit (counted if in person or inside a special period),
       its photos and findings (special situations escalate to the township at once).
    4. Recompute the stored next due date; a counted visit closes the open overdue alerts
       (and their escalations)."""
    _require(_can_reach_household(actor, household), _("无权为该家庭记录走访。"))
    if client_token is not None:
        existing = Visit.objects.filter(client_token=client_token).first()
        if existing is not None:
            return existing
    errors: dict[str, str] = {}
    if data.visited_on > today:
        errors["visited_on"] = _("走访日期不能晚于今天。")
    elif rules.is_late_entry(data.visited_on, today) and not data.late_reason.strip():
        errors["late_reason"] = _("走访日期早于昨天，属于补录，请填写补录说明。")
    if household.status != HouseholdStatus.ACTIVE:
        errors["visited_on"] = _("该家庭已退出，不能再记录走访。")
    if errors:
        raise ValidationError(errors)

    household = Household.objects.select_for_update().get(pk=household.pk)
    counted = data.mode == VisitMode.IN_PERSON or (
        data.mode in REMOTE_MODES and queries.special_period_covers(household.village_id, data.visited_on)
    )
    checklist = {k: v for k, v in data.checklist.items() if k in CHECKLIST_FIELDS}
    visit = Visit(
        household=household, visited_on=data.visited_on, mode=data.mode, counted=counted, visitor=actor,
        visitor_name=(data.visitor_name or actor.display_name)[:50], met_with=data.met_with, wishes=data.wishes,
        notes=data.notes, late_reason=data.late_reason if rules.is_late_entry(data.visited_on, today) else "",
        source=source, recorded_by=actor, client_token=client_token, **checklist,
    )
    visit.full_clean(exclude=["client_token"])
    visit.save()
    for photo in photos:
        item = VisitPhoto(visit=visit, image=photo)
        item.full_clean()
        item.save()
    opened = [_finding_open(actor=actor, household=household, visit=visit, data=f, today=today, request=request)
              for f in findings]
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=visit, request=request,
        details={"household": household.code, "visited_on": data.visited_on.isoformat(), "mode": data.mode,
                 "counted": counted, "findings": [f.pk for f in opened], "source": source},
    )
    if counted:
        schedule_refresh(households=Household.objects.filter(pk=household.pk), today=today)
        new_due = Household.objects.filter(pk=household.pk).values_list("next_due_on", flat=True).get()
        stale = OverdueAlert.objects.filter(household=household, closed_on__isnull=True)
        if new_due is not None:
            stale = stale.exclude(due_on=new_due)
        stale_ids = list(stale.values_list("id", flat=True))
        OverdueAlert.objects.filter(id__in=stale_ids).update(closed_on=today, closed_by_visit=visit)
        Escalation.objects.filter(alert_id__in=stale_ids, closed_on__isnull=True).update(closed_on=today)
    return visit


@transaction.atomic
def finding_transition(
    *,
    actor: User,
    finding: Finding,
    to_status: str,
    note: str = "",
    today: dt.date,
    request: HttpRequest | None = None,
    via_referral: models.Model | None = None,
) -> Finding:
    """Move a finding open → in progress → closed. Closing needs a note and closes the
    escalation it raised. A conditional update makes a double submit a clear error.

    `via_referral`: the referral made from this finding, when its department liaison closes
    the loop by resolving it — the liaison does not reach the household file, but may close
    the finding the referral came from (the loop closes where it opened)."""
    by_referral = (
        via_referral is not None
        and via_referral.finding_id == finding.pk
        and to_status == FindingStatus.CLOSED
        and scope_queryset(actor, type(via_referral).objects.filter(pk=via_referral.pk)).exists()
    )
    _require(by_referral or _can_reach_household(actor, finding.household), _("无权处理该问题。"))
    current = finding.status
    if to_status not in FINDING_TRANSITIONS.get(current, set()):
        raise ValidationError(
            {"to_status": _("不能从“%(a)s”变为“%(b)s”。") % {
                "a": FindingStatus(current).label, "b": FindingStatus(to_status).label}}
        )
    values: dict = {"status": to_status}
    if to_status == FindingStatus.CLOSED:
        if not note.strip():
            raise ValidationError({"note": _("办结时请填写办结情况。")})
        values |= {"closing_note": note.strip(), "closed_on": today}
    updated = Finding.objects.filter(pk=finding.pk, status=current).update(**values)
    if updated != 1:
        raise ValidationError(_("该问题已被他人处理，请刷新后重试。"))
    FindingEvent.objects.create(finding=finding, from_status=current, to_status=to_status, note=note.strip(), actor=actor)
    if to_status == FindingStatus.CLOSED:
        Escalation.objects.filter(finding=finding, closed_on__isnull=True).update(closed_on=today)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=finding, request=request,
                 details={"status": [current, to_status], "note": note.strip()[:200]})
    finding.refresh_from_db()
    return finding


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- the daily job ---------------------------------------------------------------------------

# Any constant: serialises two runs of the job inside PostgreSQL (no Redis lock).
OVERDUE_JOB_LOCK = 4_2026_0704


@dataclass
class AlertRun:
    refreshed: int = 0
    closed: int = 0
    opened: int = 0
    escalated_township: int = 0
    escalated_county: int = 0
    shortfalls: int = 0


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


_CLOSE_STALE = """
WITH closed AS (
    UPDATE visits_overduealert AS a SET closed_on = %(today)s
    FROM beneficiaries_household AS h
    WHERE a.household_id = h.id AND a.closed_on IS NULL
      AND (h.status <> 'active' OR h.next_due_on IS NULL OR h.next_due_on <> a.due_on)
    RETURNING a.id
), esc AS (
    UPDATE visits_escalation AS e SET closed_on = %(today)s
    FROM closed WHERE e.alert_id = closed.id AND e.closed_on IS NULL
)
SELECT count(*) FROM closed
"""

_OPEN_ALERTS = """
WITH new AS (
    INSERT INTO visits_overduealert (household_id, due_on, opened_on)
    SELECT h.id, h.next_due_on, %(today)s FROM beneficiaries_household AS h
    WHERE h.status = 'active' AND h.next_due_on < %(today)s
    ORDER BY h.id
    ON CONFLICT (household_id, due_on) DO NOTHING
    RETURNING id, household_id, due_on
), notified AS (
    INSERT INTO visits_notification (recipient_id, key, title, household_id, url, created_at)
    SELECT c.user_id, 'overdue:' || new.id, format(%(title)s, h.code, new.due_on), h.id, '', now()
    FROM new
    JOIN beneficiaries_household AS h ON h.id = new.household_id
    JOIN beneficiaries_pairing AS p ON p.household_id = h.id AND p.ended_on IS NULL
    JOIN beneficiaries_cadre AS c ON c.id = p.cadre_id AND c.user_id IS NOT NULL
    ON CONFLICT (recipient_id, key) DO NOTHING
)
SELECT count(*) FROM new
"""

_ESCALATE = """
WITH new AS (
    INSERT INTO visits_escalation (household_id, kind, level, area_id, alert_id, summary, opened_on)
    SELECT a.household_id, 'overdue', %(level)s, rpad(left(h.village_id, %(width)s), 12, '0'), a.id,
           format(%(summary)s, h.code, a.due_on), %(today)s
    FROM visits_overduealert AS a JOIN beneficiaries_household AS h ON h.id = a.household_id
    WHERE a.closed_on IS NULL AND a.due_on <= %(cutoff)s
    ORDER BY a.id
    ON CONFLICT (alert_id, level) DO NOTHING
    RETURNING id, household_id, area_id, summary
), notified AS (
    INSERT INTO visits_notification (recipient_id, key, title, household_id, url, created_at)
    SELECT r.user_id, 'escalation:' || new.id, new.summary, new.household_id, '', now()
    FROM new JOIN accounts_roleassignment AS r ON r.area_id = new.area_id AND r.role = %(level)s
    ON CONFLICT (recipient_id, key) DO NOTHING
)
SELECT count(*) FROM new
"""


@transaction.atomic
def overdue_alerts(*, today: dt.date) -> AlertRun:
    """The daily job (07:00 Asia/Shanghai), also `manage.py overdue_alerts --date`.

    1. Serialise runs with a transaction-level advisory lock; the unique constraints on alerts,
       escalations and notifications would keep a concurrent run from duplicating anyway.
    2. Recompute stored due dates of households whose tier or pairing changed since yesterday,
       or that have none yet.
    3. Close alerts whose due date no longer holds (a pause, a policy change, an exit).
    4. Open one alert per (household, due date) past due; notify the paired cadre.
    5. Escalate alerts 7 days overdue to the township and 30 days to the county; notify them.
    6. On the 1st, raise shortfall alerts for the month before.
    Every step is one INSERT … ON CONFLICT DO NOTHING or UPDATE, so running twice changes nothing."""
    run = AlertRun()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [OVERDUE_JOB_LOCK])
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min))
    changed = Household.objects.filter(status=HouseholdStatus.ACTIVE).filter(
        Q(next_due_on__isnull=True)
        | Q(id__in=Classification.objects.filter(decided_at__gte=since).values("household_id"))
        | Q(id__in=Pairing.objects.filter(started_on__gte=today - dt.timedelta(days=1)).values("household_id"))
    )
    run.refreshed = schedule_refresh(households=changed, today=today)

    def scalar(sql: str, params: dict) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    run.closed = scalar(_CLOSE_STALE, {"today": today})
    run.opened = scalar(_OPEN_ALERTS, {"today": today, "title": _("逾期未走访：%s，应访日期 %s")})
    run.escalated_township = scalar(_ESCALATE, {
        "today": today, "level": EscalationLevel.TOWNSHIP, "width": 9,
        "cutoff": today - dt.timedelta(days=rules.ESCALATE_TOWNSHIP_DAYS),
        "summary": _("%s 逾期7天以上未走访（应访日期 %s）"),
    })
    run.escalated_county = scalar(_ESCALATE, {
        "today": today, "level": EscalationLevel.COUNTY, "width": 6,
        "cutoff": today - dt.timedelta(days=rules.ESCALATE_COUNTY_DAYS),
        "summary": _("%s 逾期30天以上未走访（应访日期 %s）"),
    })
    if today.day == 1:
        run.shortfalls = shortfall_alerts(month=rules.previous_month(today), today=today)
    return run


def shortfall_alerts(*, month: dt.date, today: dt.date) -> int:
    """Shortfall alerts for a closed month: rules over set-based reads, one INSERT."""
    last = rules.month_bounds(month)[1]
    statuses = queries.month_statuses(Household.objects.filter(status=HouseholdStatus.ACTIVE), month, last)
    short = [(hid, s) for hid, s in statuses.items() if s.shortfall > 0]
    if not short:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH new AS (
                INSERT INTO visits_shortfallalert (household_id, month, counted, minimum, raised_on)
                SELECT v.id, %(month)s, v.counted, v.minimum, %(today)s
                FROM unnest(%(ids)s::bigint[], %(counted)s::int[], %(minimum)s::int[]) AS v(id, counted, minimum)
                ORDER BY v.id
                ON CONFLICT (household_id, month) DO NOTHING
                RETURNING id, household_id, counted, minimum
            ), notified AS (
                INSERT INTO visits_notification (recipient_id, key, title, household_id, url, created_at)
                SELECT c.user_id, 'shortfall:' || new.id,
                       format(%(title)s, h.code, new.counted, new.minimum), h.id, '', now()
                FROM new
                JOIN beneficiaries_household AS h ON h.id = new.household_id
                JOIN beneficiaries_pairing AS p ON p.household_id = h.id AND p.ended_on IS NULL
                JOIN beneficiaries_cadre AS c ON c.id = p.cadre_id AND c.user_id IS NOT NULL
                ON CONFLICT (recipient_id, key) DO NOTHING
            )
            SELECT count(*) FROM new
            """,
            {
                "month": month, "today": today,
                "ids": [h for h, _s in short], "counted": [s.counted for _h, s in short],
                "minimum": [s.minimum for _h, s in short],
                "title": _("%s 上月有效走访 %s 次，低于最低要求 %s 次") ,
            },
        )
        return cur.fetchone()[0]
