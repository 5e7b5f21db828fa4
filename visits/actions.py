"""Writes of the visits app. Each state change is one keyword-only, transactional function that
validates, saves and audits; views, imports, the command and the Celery task call these."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import notifications
from accounts.actions import audit_record
from accounts.areacodes import CODE_LENGTH, PREFIX_LENGTH, ancestor_sql, like
from accounts.files import photo_as_jpeg
from accounts.models import Area, AreaLevel, AuditAction, Role, RoleAssignment, User
from accounts.notifications import SMS, WECOM, Message, notify, notify_many
from accounts.permissions import require
from accounts.scoping import area_prefixes, has_role, scope_queryset
from beneficiaries import events
from beneficiaries.display import household_label_sql, household_text
from beneficiaries.models import Cadre, Household, HouseholdStatus, Pairing, Relation
from campaigns.actions import assessment_record as campaign_assessment_record

from . import checklist, queries, rules
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
    GeoStatus,
    OverdueAlert,
    Pause,
    ShortfallAlert,
    SpecialPeriod,
    Visit,
    VisitConflict,
    VisitMode,
    VisitPhoto,
    VisitPolicy,
    VisitSource,
    _photo_path,
)

logger = logging.getLogger(__name__)

# --- schedule -------------------------------------------------------------------------------


# Published (through the roster's publish/subscribe point) after a visit is stored.
VISIT_RECORDED = "visit_recorded"


def on_roster_changed(*, households: QuerySet[Household], today: dt.date, **_payload) -> None:
    """The roster's ROSTER_CHANGED subscriber (see beneficiaries.events): a tier, pairing or status
    change moves the stored due date at once, not only at the next 07:00 run."""
    schedule_refresh(households=households, today=today)


def schedule_refresh(*, households: QuerySet[Household], today: dt.date) -> int:
    """Recompute the stored next due date of `households` with the rules, and write every
    change in ONE set-based UPDATE. Returns the number of rows changed.

    Reads are set-based too (visits.queries.next_dues: a fixed number of queries)."""
    by_id = queries.next_dues(households, today)
    ids = list(by_id)
    dues = [by_id[i] for i in ids]
    if not ids:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {_T.household} AS h SET next_due_on = v.due
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
            f"""
            UPDATE {_T.visit} AS v SET counted = (v.mode = %(in_person)s OR EXISTS (
                SELECT 1 FROM {_T.special_period} s
                WHERE v.visited_on BETWEEN s.starts_on AND s.ends_on
                  AND s.area_id IN ({ancestor_sql("h.village_id", "prefecture")}, {ancestor_sql("h.village_id", "county")},
                                    {ancestor_sql("h.village_id", "township")}, h.village_id)))
            FROM {_T.household} AS h
            WHERE h.id = v.household_id AND h.village_id LIKE %(area)s AND v.mode <> %(in_person)s
            """,
            {"in_person": VisitMode.IN_PERSON, "area": like(area.prefix)},
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
    wishes_not_asked: bool = False
    hazards_fixed: Sequence[str] = ()
    notes: str = ""
    late_reason: str = ""
    visitor_name: str = ""
    # Capture on the device (contract with the browser outbox, docs/visits.md).
    captured_at: dt.datetime | None = None
    geo_status: str = ""
    geo_lat: Decimal | None = None
    geo_lng: Decimal | None = None
    geo_accuracy_m: int | None = None


def _notify(users: Sequence[int], *, key: str, title: str, household: Household | None,
            channels: Sequence[str] = ()) -> None:
    notify(users, key=key, title=title, household=household, channels=channels)


def _officials(role: str, area_code: str) -> list[int]:
    return list(RoleAssignment.objects.filter(role=role, area_id=area_code).values_list("user_id", flat=True))


def _paired_cadre_user(household: Household) -> User | None:
    pairing = Pairing.objects.filter(household=household, ended_on__isnull=True).select_related("cadre__user").first()
    return pairing.cadre.user if pairing and pairing.cadre.user_id else None


def was_paired_on(actor: User, household: Household, day: dt.date) -> bool:
    """Whether `actor` was the paired cadre of `household` on `day` (a pairing since ended)."""
    return Pairing.objects.filter(
        household=household, cadre__user=actor, started_on__lte=day, ended_on__isnull=False, ended_on__gte=day
    ).exists()


def _finding_open(*, actor: User, household: Household, visit: Visit | None, data: FindingInput, today: dt.date,
                  request: HttpRequest | None) -> Finding:
    if not data.description.strip():
        raise ValidationError({"findings": _("请填写问题描述。")})
    due_on = data.due_on or checklist.finding_due_on(data.kind, today)
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
    if checklist.FINDING_POLICY[data.kind].escalate:
        # §5(2): special situations are reported to the local government at once.
        township = queries.township_of(household.village_id)
        escalation = Escalation.objects.create(
            household=household, kind=EscalationKind.SPECIAL, level=EscalationLevel.TOWNSHIP, area_id=township,
            finding=finding, summary=finding.description[:200], opened_on=today,
        )
        _notify(_officials(Role.TOWNSHIP, township), key=f"escalation:{escalation.pk}",
                title=_("特殊情况报告：%(code)s %(text)s") % {"code": household_text(household),
                                                       "text": finding.description[:60]},
                household=household, channels=(WECOM,))
    return finding


def _with_hazard_findings(findings: Sequence[FindingInput], ticked: Sequence[str], fixed: Sequence[str]
                          ) -> list[FindingInput]:
    """Each safety item ticked 有隐患 and not removed on the spot opens its own hazard finding; the
    free-text hazard note, if any, describes them (it opens a finding of its own only when no
    item was ticked)."""
    open_items = [name for name in ticked if name not in fixed]
    if not open_items:
        return list(findings)
    note = "；".join(f.description.strip() for f in findings if f.kind == FindingKind.HAZARD and f.description.strip())
    out = [f for f in findings if f.kind != FindingKind.HAZARD]
    for name in open_items:
        text = _("%(item)s安全有隐患") % {"item": checklist.HAZARDS[name]}
        out.insert(0, FindingInput(kind=FindingKind.HAZARD, description=f"{text}：{note}" if note else text))
    return out


def _position(data: VisitInput) -> dict:
    """The stored position: coordinates only with status ok and plausible values. A bad or
    missing position never refuses a visit; it is recorded as 无法定位."""
    status = data.geo_status if data.geo_status in GeoStatus.values else ""
    if status != GeoStatus.OK:
        return {"geo_status": status}
    lat, lng = data.geo_lat, data.geo_lng
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return {"geo_status": GeoStatus.UNAVAILABLE}
    accuracy = data.geo_accuracy_m if data.geo_accuracy_m is not None and 0 <= data.geo_accuracy_m < 10**6 else None
    return {"geo_status": GeoStatus.OK, "geo_lat": round(Decimal(lat), 6), "geo_lng": round(Decimal(lng), 6),
            "geo_accuracy_m": accuracy}


def _validate_checklist(data: VisitInput, errors: dict) -> None:
    missing = checklist.missing_items(data.checklist, wishes=data.wishes, wishes_not_asked=data.wishes_not_asked)
    for item in checklist.ITEMS:
        if item.required and not data.checklist.get(item.name):
            errors[item.name] = _("请作答；没有问到的请选“未询问”。")
    if missing:
        if "wishes" not in errors and str(checklist.WISHES_LABEL) in missing:
            errors["wishes"] = _("请填写本人意愿，或勾选“未询问”。")
        errors[NON_FIELD_ERRORS] = _("以下必答项尚未作答（没有问到的请选“未询问”）：%(items)s。") % {
            "items": "、".join(missing)}
    errors.update(checklist.combination_errors(data.checklist))


@dataclass(frozen=True)
class Recorded:
    visit: Visit
    created: bool  # False: this token was already stored (a replay), nothing new was stored
    photos_lost: bool = False  # the media disk refused the photos: the visit is stored without them


def _photos_save(visit: Visit, photos: Sequence[UploadedFile]) -> bool:
    """Store the visit's photos, all or none. False when the media storage refuses a file (disk
    full, quota, read-only): their rows are rolled back, the files already written are deleted,
    and the visit itself is kept — a visit is the fact the schedule counts; a photo supports it."""
    try:
        with transaction.atomic():
            for photo in photos:
                item = VisitPhoto(visit=visit, image=photo)
                item.full_clean()
                item.save()
    except OSError as exc:
        logger.warning("visit %s: photos not stored: %s", visit.pk, exc.strerror or type(exc).__name__)
        storage = VisitPhoto._meta.get_field("image").storage
        folder, _slash, prefix = _photo_path(VisitPhoto(visit=visit), "").rpartition("/")
        with contextlib.suppress(OSError):  # a partly written file too: its name starts with the visit id
            for name in storage.listdir(folder)[1]:
                if name.startswith(prefix):
                    storage.delete(f"{folder}/{name}")
        return False
    return True


@transaction.atomic
def visit_capture(
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
    campaign_answers: Sequence = (),
) -> Recorded:
    """Record one visit with its checklist, photos and findings, once per submission token.

    1. The visitor must reach the household (paired cadre, staff of the agency it is assigned
       to, an official whose area covers it) — or have been its paired cadre on the visit date
       (re-paired while offline: stored, flagged as a conflict).
    2. Lock the household. A token already stored by this user for this household is a replay
       (double tap, outbox retry): return that visit, store nothing.
    3. Validate: no date in the future; a late entry (judged on the capture day) needs a reason;
       from the form, every §3 core item answered ("未询问" is an answer). A household that
       exited on or after the visit date takes the visit, flagged; after it, refuses it.
    4. Save the visit (counted if in person or inside a special period), its photos and
       findings: each ticked hazard not removed on the spot opens a hazard finding; special
       situations escalate to the township at once; a conflict is told to the township.
    5. Recompute the stored next due date; a counted visit closes the open overdue alerts
       (and their escalations)."""
    reachable = _can_reach_household(actor, household)
    _require(reachable or (source == VisitSource.FORM and was_paired_on(actor, household, data.visited_on)),
             _("无权为该家庭记录走访。"))
    household = Household.objects.select_for_update().get(pk=household.pk)
    if client_token is not None:
        existing = Visit.objects.filter(recorded_by=actor, household=household, client_token=client_token).first()
        if existing is not None:
            return Recorded(existing, False)

    received_at = timezone.now()
    captured_on = timezone.localdate(data.captured_at) if data.captured_at else None
    written_on = rules.entry_day(captured_on, today)
    late = rules.is_late_entry(data.visited_on, written_on)
    errors: dict[str, str] = {}
    if data.visited_on > today:
        errors["visited_on"] = _("走访日期不能晚于今天。")
    elif late and not data.late_reason.strip():
        errors["late_reason"] = _("走访日期早于昨天，属于补录，请填写补录说明。")
    conflict = "" if reachable else VisitConflict.REPAIRED
    if household.status != HouseholdStatus.ACTIVE:
        if source == VisitSource.FORM and household.exited_on and data.visited_on <= household.exited_on:
            conflict = VisitConflict.EXITED
        else:
            errors["visited_on"] = _("该家庭已退出，不能再记录走访。")
    if source == VisitSource.FORM:
        _validate_checklist(data, errors)
    stored_photos = []
    for photo in photos:  # re-encoded to JPEG on the server; what is not an image is refused
        try:
            stored_photos.append(photo_as_jpeg(photo))
        except ValidationError as exc:
            errors["photos"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)

    counted = data.mode == VisitMode.IN_PERSON or (
        data.mode in REMOTE_MODES and queries.special_period_covers(household.village_id, data.visited_on)
    )
    answers = {k: v for k, v in data.checklist.items() if k in checklist.CHECKLIST_FIELDS}
    ticked = checklist.ticked_hazards(answers)
    fixed = [name for name in ticked if name in set(data.hazards_fixed)]
    visit = Visit(
        household=household, visited_on=data.visited_on, mode=data.mode, counted=counted, visitor=actor,
        visitor_name=(data.visitor_name or actor.display_name)[:50], met_with=data.met_with, wishes=data.wishes,
        wishes_not_asked=data.wishes_not_asked and not data.wishes.strip(), hazards_fixed=fixed,
        notes=data.notes, late_reason=data.late_reason if late else "",
        source=source, recorded_by=actor, client_token=client_token, captured_at=data.captured_at,
        conflict=conflict, **_position(data), **answers,
    )
    visit.full_clean(exclude=["client_token"])
    visit.save()
    photos_lost = not _photos_save(visit, stored_photos)
    opened = [_finding_open(actor=actor, household=household, visit=visit, data=f, today=today, request=request)
              for f in _with_hazard_findings(findings, ticked, fixed)]
    # The campaigns' questions answered in this visit (campaigns/visit.py): stored with it or not at all.
    for row, answers in campaign_answers if reachable else ():
        campaign_assessment_record(actor=actor, row=row, data=answers, assessed_on=data.visited_on, today=today,
                                   request=request)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=visit, request=request,
        details={"household": household.code, "visited_on": data.visited_on.isoformat(), "mode": data.mode,
                 "counted": counted, "findings": [f.pk for f in opened], "source": source,
                 "captured_at": data.captured_at.isoformat() if data.captured_at else None,
                 "received_at": received_at.isoformat(), "conflict": conflict,
                 **({"photos_lost": len(photos)} if photos_lost else {})},
    )
    if conflict:
        _notify(_officials(Role.TOWNSHIP, queries.township_of(household.village_id)), key=f"visit-conflict:{visit.pk}",
                title=_("离线走访冲突：%(code)s %(date)s 的走访已保存，但%(what)s，请核实。") % {
                    "code": household_text(household), "date": data.visited_on.isoformat(),
                    "what": VisitConflict(conflict).label},
                household=household, channels=(WECOM,))
    if counted:
        schedule_refresh(households=Household.objects.filter(pk=household.pk), today=today)
        new_due = Household.objects.filter(pk=household.pk).values_list("next_due_on", flat=True).get()
        stale = OverdueAlert.objects.filter(household=household, closed_on__isnull=True)
        if new_due is not None:
            stale = stale.exclude(due_on=new_due)
        stale_ids = list(stale.values_list("id", flat=True))
        OverdueAlert.objects.filter(id__in=stale_ids).update(closed_on=today, closed_by_visit=visit)
        Escalation.objects.filter(alert_id__in=stale_ids, closed_on__isnull=True).update(closed_on=today)
    # Apps built on visits (early warning) read the new answers at once, not only at night.
    events.publish(VISIT_RECORDED, households=Household.objects.filter(pk=household.pk), today=today)
    return Recorded(visit, True, photos_lost)


def visit_record(**kwargs) -> Visit:
    """`visit_capture`, returning the visit (stored now, or the one its token already stored)."""
    return visit_capture(**kwargs).visit


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
    return notifications.mark_read(user=user, ids=ids)


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


class _T:
    """Table names of the raw SQL below, from the models' _meta."""

    household = Household._meta.db_table
    pairing = Pairing._meta.db_table
    cadre = Cadre._meta.db_table
    visit = Visit._meta.db_table
    special_period = SpecialPeriod._meta.db_table
    alert = OverdueAlert._meta.db_table
    escalation = Escalation._meta.db_table
    shortfall = ShortfallAlert._meta.db_table
    role = RoleAssignment._meta.db_table
    area = Area._meta.db_table


# The daily job's statements: table names from _meta, every value (enum values included) a
# parameter — `_job_params` gives the constant ones.
_CLOSE_STALE = f"""
WITH closed AS (
    UPDATE {_T.alert} AS a SET closed_on = %(today)s
    FROM {_T.household} AS h
    WHERE a.household_id = h.id AND a.closed_on IS NULL
      AND (h.status <> %(active)s OR h.next_due_on IS NULL OR h.next_due_on <> a.due_on)
    RETURNING a.id
), esc AS (
    UPDATE {_T.escalation} AS e SET closed_on = %(today)s
    FROM closed WHERE e.alert_id = closed.id AND e.closed_on IS NULL
)
SELECT count(*) FROM closed
"""

_OPEN_ALERTS = f"""
WITH new AS (
    INSERT INTO {_T.alert} (household_id, due_on, opened_on)
    SELECT h.id, h.next_due_on, %(today)s FROM {_T.household} AS h
    WHERE h.status = %(active)s AND h.next_due_on < %(today)s
    ORDER BY h.id
    ON CONFLICT (household_id, due_on) DO NOTHING
    RETURNING id, household_id, due_on
)
-- One row per new alert, with its paired cadre's login (if any) to notify.
SELECT new.id, new.household_id, {household_label_sql("h", "v", "%(head)s")}, new.due_on, c.user_id
FROM new
JOIN {_T.household} AS h ON h.id = new.household_id
JOIN {_T.area} AS v ON v.code = h.village_id
LEFT JOIN {_T.pairing} AS p ON p.household_id = h.id AND p.ended_on IS NULL
LEFT JOIN {_T.cadre} AS c ON c.id = p.cadre_id
"""

_ESCALATE = f"""
WITH new AS (
    INSERT INTO {_T.escalation} (household_id, kind, level, area_id, alert_id, summary, opened_on)
    SELECT a.household_id, %(kind)s, %(level)s, rpad(left(h.village_id, %(width)s), %(code_length)s, '0'), a.id,
           format(%(summary)s, {household_label_sql("h", "v", "%(head)s")}, a.due_on), %(today)s
    FROM {_T.alert} AS a JOIN {_T.household} AS h ON h.id = a.household_id JOIN {_T.area} AS v ON v.code = h.village_id
    WHERE a.closed_on IS NULL AND a.due_on <= %(cutoff)s
    ORDER BY a.id
    ON CONFLICT (alert_id, level) DO NOTHING
    RETURNING id, household_id, area_id, summary
)
-- One row per new escalation and official of its level in its area (to notify).
SELECT new.id, new.household_id, new.summary, r.user_id
FROM new LEFT JOIN {_T.role} AS r ON r.area_id = new.area_id AND r.role = %(level)s
"""


def _job_params(today: dt.date) -> dict:
    return {"today": today, "active": HouseholdStatus.ACTIVE, "kind": EscalationKind.OVERDUE,
            "code_length": CODE_LENGTH, "head": Relation.HEAD}


@transaction.atomic
def overdue_alerts(*, today: dt.date) -> AlertRun:
    """The daily job (07:00 Asia/Shanghai), also `manage.py overdue_alerts --date`.

    1. Serialise runs with a transaction-level advisory lock; the unique constraints on alerts,
       escalations and notifications would keep a concurrent run from duplicating anyway.
    2. Recompute stored due dates of households whose inputs changed since yesterday, and of
       those a visit policy taking effect today applies to (visits.queries.schedule_changes).
    3. Close alerts whose due date no longer holds (a pause, a policy change, an exit).
    4. Open one alert per (household, due date) past due; notify the paired cadre.
    5. Escalate alerts 7 days overdue to the township and 30 days to the county; notify them.
    6. On the 1st, raise shortfall alerts for the month before.
    Every step is one INSERT … ON CONFLICT DO NOTHING or UPDATE, so running twice changes nothing."""
    run = AlertRun()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [OVERDUE_JOB_LOCK])
    run.refreshed = schedule_refresh(households=queries.schedule_changes(today), today=today)

    def scalar(sql: str, params: dict) -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def rows(sql: str, params: dict) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    params = _job_params(today)
    run.closed = scalar(_CLOSE_STALE, params)
    opened = rows(_OPEN_ALERTS, params)
    run.opened = len({r[0] for r in opened})
    notify_many([
        Message(user_id, f"overdue:{alert_id}", _("逾期未走访：%(household)s，应访日期 %(due)s") % {
            "household": code, "due": due.isoformat()}, household_id)
        for alert_id, household_id, code, due, user_id in opened if user_id
    ])
    for level, width, days, summary in (
        (EscalationLevel.TOWNSHIP, PREFIX_LENGTH["township"], rules.ESCALATE_TOWNSHIP_DAYS, _("%s 逾期7天以上未走访（应访日期 %s）")),
        (EscalationLevel.COUNTY, PREFIX_LENGTH["county"], rules.ESCALATE_COUNTY_DAYS, _("%s 逾期30天以上未走访（应访日期 %s）")),
    ):
        escalated = rows(_ESCALATE, {**params, "level": level, "width": width,
                                     "cutoff": today - dt.timedelta(days=days), "summary": summary})
        notify_many([Message(user_id, f"escalation:{esc_id}", text, household_id, channels=(WECOM,))
                     for esc_id, household_id, text, user_id in escalated if user_id])
        count = len({r[0] for r in escalated})
        if level == EscalationLevel.TOWNSHIP:
            run.escalated_township = count
        else:
            run.escalated_county = count
    if today.day == 1:
        run.shortfalls = shortfall_alerts(month=rules.previous_month(today), today=today)
    return run


def shortfall_alerts(*, month: dt.date, today: dt.date) -> int:
    """Shortfall alerts for a closed month: plain months counted in SQL, the rest through the
    rules (visits.queries.month_shortfalls), one INSERT."""
    last = rules.month_bounds(month)[1]
    short = [(hid, rules.MonthStatus(month, counted, minimum))
             for hid, counted, minimum in queries.month_shortfalls(month, last)]  # plain months in SQL
    if not short:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH new AS (
                INSERT INTO {_T.shortfall} (household_id, month, counted, minimum, raised_on)
                SELECT v.id, %(month)s, v.counted, v.minimum, %(today)s
                FROM unnest(%(ids)s::bigint[], %(counted)s::int[], %(minimum)s::int[]) AS v(id, counted, minimum)
                ORDER BY v.id
                ON CONFLICT (household_id, month) DO NOTHING
                RETURNING id, household_id, counted, minimum
            )
            SELECT new.id, h.id, {household_label_sql("h", "v", "%(head)s")}, new.counted, new.minimum, c.user_id
            FROM new
            JOIN {_T.household} AS h ON h.id = new.household_id
            JOIN {_T.area} AS v ON v.code = h.village_id
            LEFT JOIN {_T.pairing} AS p ON p.household_id = h.id AND p.ended_on IS NULL
            LEFT JOIN {_T.cadre} AS c ON c.id = p.cadre_id
            """,
            {
                "month": month, "today": today, "head": Relation.HEAD,
                "ids": [h for h, _s in short], "counted": [s.counted for _h, s in short],
                "minimum": [s.minimum for _h, s in short],
            },
        )
        raised = cur.fetchall()
    notify_many([
        Message(user_id, f"shortfall:{alert_id}", _("%(code)s 上月有效走访 %(n)s 次，低于最低要求 %(min)s 次") % {
            "code": code, "n": counted, "min": minimum}, household_id)
        for alert_id, household_id, code, counted, minimum, user_id in raised if user_id
    ])
    return len({r[0] for r in raised})


# --- the daily digest ------------------------------------------------------------------------


def daily_digest(*, today: dt.date) -> int:
    """07:30 Asia/Shanghai: each cadre with a login hears how many of their households are
    overdue and due within DUE_SOON_DAYS (the names are on 我的结对户, not in an SMS). One read,
    one INSERT; keyed by date, so a second run the same day sends nothing. Returns the number
    of digests created now."""
    soon = today + dt.timedelta(days=rules.DUE_SOON_DAYS)
    counts = (
        Pairing.objects.filter(ended_on__isnull=True, cadre__user__isnull=False, household__status=HouseholdStatus.ACTIVE,
                               household__next_due_on__lte=soon)
        .values("cadre__user_id")
        .annotate(overdue=models.Count("id", filter=Q(household__next_due_on__lt=today)),
                  due=models.Count("id", filter=Q(household__next_due_on__gte=today)))
        .order_by("cadre__user_id")
    )
    url = reverse("visits:mine")
    messages = []
    for row in counts:
        parts = []
        if row["overdue"]:
            parts.append(_("逾期 %(n)s 户") % {"n": row["overdue"]})
        if row["due"]:
            parts.append(_("%(days)s天内到期 %(n)s 户") % {"days": rules.DUE_SOON_DAYS, "n": row["due"]})
        title = _("走访提醒（%(date)s）：%(parts)s，请打开“我的结对户”查看。") % {
            "date": f"{today.month}月{today.day}日", "parts": "，".join(parts)}
        messages.append(Message(row["cadre__user_id"], f"digest:{today.isoformat()}", title, None, url, (SMS,)))
    return len(notify_many(messages))
