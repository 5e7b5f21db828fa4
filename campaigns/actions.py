"""Every write of campaigns: transactional, permission-checked, audited."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit_record
from accounts.areacodes import ancestor_code
from accounts.models import Area, AreaLevel, AuditAction, Role, RoleAssignment, User
from accounts.notifications import Message, notify_many
from accounts.permissions import require
from accounts.scoping import area_prefixes, scope_queryset
from beneficiaries.display import household_label, household_label_expression, household_text
from beneficiaries.models import Household, Person

from . import queries, rules
from .models import (
    Campaign,
    CampaignHousehold,
    CampaignKind,
    CampaignNeed,
    Delivery,
    Donation,
    Item,
    NeedSource,
    NeedStatus,
    StockEntry,
    StockKind,
    WaterAlert,
    WaterDelivery,
)

DECLARERS = {Role.COUNTY, Role.PREFECTURE}
CONFIRMERS = {Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}
STOCK_KEEPERS = {Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}


def _covers(actor: User, code: str, roles: set[str]) -> bool:
    return actor.is_superuser or any(code.startswith(p) for p in area_prefixes(actor, roles))


def _reaches(actor: User, household: Household) -> bool:
    return scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists()


# --- declaring a campaign ------------------------------------------------------------------------


def _period_scope_errors(*, kind, area, areas, starts_on, ends_on, assess_by, tiers, limited_mobility_tiers,
                         water_every_days) -> dict[str, str]:
    """What declaring and editing both check: the period, the deadline in it, a target group,
    the areas inside the declaring area, a water interval."""
    errors: dict[str, str] = {}
    if ends_on < starts_on:
        errors["ends_on"] = _t("结束日期不能早于开始日期。")
    elif not starts_on <= assess_by <= ends_on:
        errors["assess_by"] = _t("评估截止日期应在行动期间内。")
    if not tiers and not limited_mobility_tiers:
        errors["tiers"] = _t("请至少选择一类纳入对象。")
    if any(not a.code.startswith(area.code[: {"county": 6, "prefecture": 4}.get(area.level, 12)]) for a in areas):
        errors["areas"] = _t("实施区划须在部署区划之内。")
    if kind == CampaignKind.WATER and not water_every_days:
        errors["water_every_days"] = _t("季节性缺水行动请填写送水间隔天数。")
    return errors


@transaction.atomic
def campaign_declare(*, actor: User, kind: str, name: str, area: Area, starts_on: dt.date, ends_on: dt.date,
                     assess_by: dt.date, tiers: Sequence[str], limited_mobility_tiers: Sequence[str] = (),
                     areas: Sequence[Area] = (), assessor: str = "cadre", questions: Sequence[str] = (),
                     water_every_days: int | None = None, note: str = "", today: dt.date,
                     request: HttpRequest | None = None) -> Campaign:
    """A county or the prefecture declares a campaign over its area (or some areas in it); the
    households in scope are listed at once."""
    require(_covers(actor, area.code, DECLARERS), _("只有县(市)或州民政部门可以在本区划部署专项行动。"))
    errors: dict[str, str] = {}
    if area.level not in (AreaLevel.COUNTY, AreaLevel.PREFECTURE):
        errors["area"] = _t("专项行动由县(市)或州部署，请选择县(市)或州。")
    errors |= _period_scope_errors(kind=kind, area=area, areas=areas, starts_on=starts_on, ends_on=ends_on,
                                   assess_by=assess_by, tiers=tiers, limited_mobility_tiers=limited_mobility_tiers,
                                   water_every_days=water_every_days)
    questions = [q.strip() for q in questions if q.strip()]
    if kind == CampaignKind.OTHER and not questions:
        errors["questions"] = _t("其他专项行动请填写至少一个评估问题。")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign(kind=kind, name=name.strip(), area=area, starts_on=starts_on, ends_on=ends_on,
                        assess_by=assess_by, tiers=sorted(set(tiers)), limited_mobility_tiers=sorted(set(limited_mobility_tiers)),
                        assessor=assessor, questions=questions if kind == CampaignKind.OTHER else [],
                        water_every_days=water_every_days if kind == CampaignKind.WATER else None,
                        note=note.strip(), declared_by=actor)
    campaign.full_clean()
    campaign.save()
    campaign.areas.set(areas)
    added = campaign_scope_refresh(campaign=campaign, today=today)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=campaign, request=request, details={
        "kind": kind, "area": area.code, "areas": [a.code for a in areas], "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(), "tiers": list(tiers), "limited_mobility_tiers": list(limited_mobility_tiers),
        "households": added})
    return campaign


def _snapshot(campaign: Campaign) -> dict:
    return {"name": campaign.name, "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
            "assess_by": campaign.assess_by.isoformat(), "tiers": list(campaign.tiers),
            "limited_mobility_tiers": list(campaign.limited_mobility_tiers),
            "areas": sorted(campaign.areas.values_list("code", flat=True)),
            "water_every_days": campaign.water_every_days, "note": campaign.note}


def _water_reschedule(campaign: Campaign) -> None:
    """Recompute every scheduled household's next water day after the period or the interval
    changed (one UPDATE): N days after its last delivery, else its first day; none after the end."""
    if campaign.kind != CampaignKind.WATER:
        return
    rows, water = CampaignHousehold._meta.db_table, WaterDelivery._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {rows} r SET next_water_due_on = CASE WHEN d.due <= %s THEN d.due END FROM ("
            f" SELECT r2.id, COALESCE((SELECT MAX(w.delivered_on) FROM {water} w WHERE w.campaign_id = r2.campaign_id"
            f" AND w.household_id = r2.household_id) + %s::int, GREATEST(%s::date, r2.added_on)) AS due"
            f" FROM {rows} r2 WHERE r2.campaign_id = %s AND r2.can_fetch_water IS NOT TRUE) d WHERE r.id = d.id",
            [campaign.ends_on, campaign.water_every_days, campaign.starts_on, campaign.pk])


def _require_open_to(actor: User, campaign: Campaign, today: dt.date) -> None:
    require(_covers(actor, campaign.area_id, DECLARERS), _("只有部署该行动的县(市)或州民政部门可以修改或提前结束。"))
    if campaign.closed_on is not None or campaign.ends_on < today:
        raise ValidationError(_t("专项行动已结束，不能再修改。"))


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, name: str, starts_on: dt.date, ends_on: dt.date,
                    assess_by: dt.date, tiers: Sequence[str], limited_mobility_tiers: Sequence[str] = (),
                    areas: Sequence[Area] = (), water_every_days: int | None = None, note: str = "",
                    today: dt.date, request: HttpRequest | None = None) -> Campaign:
    """The declaring county or prefecture corrects a campaign before it ends: name, period,
    deadline, areas, target groups, water interval. Households newly in scope are listed; none
    is removed (what was assessed or delivered stays). The water schedule follows the period."""
    campaign = Campaign.objects.select_for_update().select_related("area").get(pk=campaign.pk)
    _require_open_to(actor, campaign, today)
    errors = _period_scope_errors(kind=campaign.kind, area=campaign.area, areas=areas, starts_on=starts_on,
                                  ends_on=ends_on, assess_by=assess_by, tiers=tiers,
                                  limited_mobility_tiers=limited_mobility_tiers, water_every_days=water_every_days)
    if campaign.starts_on <= today and starts_on != campaign.starts_on:
        errors.setdefault("starts_on", _t("行动已开始，不能改开始日期。"))
    elif starts_on < today and starts_on != campaign.starts_on:
        errors.setdefault("starts_on", _t("开始日期不能早于今天。"))
    if ends_on < today:
        errors.setdefault("ends_on", _t("结束日期不能早于今天；要现在结束，请用“提前结束”。"))
    if errors:
        raise ValidationError(errors)
    before = _snapshot(campaign)
    campaign.name, campaign.starts_on, campaign.ends_on, campaign.assess_by = name.strip(), starts_on, ends_on, assess_by
    campaign.tiers, campaign.limited_mobility_tiers = sorted(set(tiers)), sorted(set(limited_mobility_tiers))
    if campaign.kind == CampaignKind.WATER:
        campaign.water_every_days = water_every_days
    campaign.note = note.strip()
    campaign.full_clean()
    campaign.save()
    campaign.areas.set(areas)
    added = campaign_scope_refresh(campaign=campaign, today=today)
    _water_reschedule(campaign)
    after = _snapshot(campaign)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=campaign, request=request, details={
        "changed": {k: [before[k], after[k]] for k in after if before[k] != after[k]}, "households_added": added})
    return campaign


@transaction.atomic
def campaign_close(*, actor: User, campaign: Campaign, reason: str, today: dt.date,
                   request: HttpRequest | None = None) -> Campaign:
    """End a campaign early: today is its last day (a campaign not begun yet is cancelled), no
    water is due any more and the open missed-delivery alerts close."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_open_to(actor, campaign, today)
    if not reason.strip():
        raise ValidationError({"reason": _t("请填写提前结束的原因。")})
    before = {"starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
              "assess_by": campaign.assess_by.isoformat()}
    campaign.starts_on = min(campaign.starts_on, today)
    campaign.ends_on = today
    campaign.assess_by = min(max(campaign.assess_by, campaign.starts_on), today)
    campaign.closed_on, campaign.closed_by, campaign.close_reason = today, actor, reason.strip()
    campaign.save(update_fields=["starts_on", "ends_on", "assess_by", "closed_on", "closed_by", "close_reason"])
    rows = CampaignHousehold.objects.filter(campaign=campaign)
    rows.exclude(next_water_due_on=None).update(next_water_due_on=None)
    closed = WaterAlert.objects.filter(row__campaign=campaign, closed_on__isnull=True).update(closed_on=today)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=campaign, request=request, details={
        "closed_early": True, "reason": reason.strip(), "before": before, "ends_on": today.isoformat(),
        "water_alerts_closed": closed})
    return campaign


def campaign_scope_refresh(*, campaign: Campaign, today: dt.date) -> int:
    """List the households now in scope that are not yet listed (one INSERT … SELECT; none is
    removed). Water campaigns put each new household on the schedule from today (or the start)."""
    households = queries.households_in_scope(campaign).exclude(
        pk__in=CampaignHousehold.objects.filter(campaign=campaign).values("household_id"))
    first_due = max(campaign.starts_on, today) if campaign.kind == CampaignKind.WATER else None
    if first_due is not None and first_due > campaign.ends_on:
        first_due = None
    sql, params = households.annotate(hid=F("pk")).values("hid").query.sql_with_params()
    table = CampaignHousehold._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (campaign_id, household_id, added_on, heating_source, water_source, answers, note,"
            f" next_water_due_on) SELECT %s, h.hid, %s, '', '', '{{}}'::jsonb, '', %s FROM ({sql}) h"
            " ON CONFLICT (campaign_id, household_id) DO NOTHING",
            [campaign.pk, today, first_due, *params])
        return cur.rowcount


# --- assessment (in the visit, or by the village) -------------------------------------------------


@dataclass(frozen=True)
class AssessmentInput:
    grain_short_days: int | None = None
    clothing_sets: int | None = None
    heating_source: str = ""
    heating_enough: bool | None = None
    water_source: str = ""
    water_days_left: int | None = None
    can_fetch_water: bool | None = None
    answers: dict | None = None
    note: str = ""


def assessment_errors(campaign: Campaign, data: AssessmentInput) -> dict[str, str]:
    """What is missing from an assessment, by field (the visit form shows them)."""
    errors = {}
    if campaign.kind == CampaignKind.WINTER:
        if data.grain_short_days is None:
            errors["grain_short_days"] = _t("请填写口粮缺口天数（不缺填 0）。")
        if data.clothing_sets is None:
            errors["clothing_sets"] = _t("请填写需要的衣被套数（不需要填 0）。")
        if not data.heating_source:
            errors["heating_source"] = _t("请选择取暖方式。")
        if data.heating_enough is None:
            errors["heating_enough"] = _t("请选择取暖是否足够。")
    elif campaign.kind == CampaignKind.WATER:
        if not data.water_source:
            errors["water_source"] = _t("请选择水源。")
        if data.water_days_left is None:
            errors["water_days_left"] = _t("请填写存水还能用几天。")
        if data.can_fetch_water is None:
            errors["can_fetch_water"] = _t("请选择能否自行取水。")
    else:
        missing = [q for q in campaign.questions if not str((data.answers or {}).get(q, "")).strip()]
        if missing:
            errors["answers"] = _t("请回答：%(q)s") % {"q": "、".join(missing)}
    return errors


def assessment_record(*, actor: User, row: CampaignHousehold, data: AssessmentInput, assessed_on: dt.date,
                      today: dt.date, request: HttpRequest | None = None) -> CampaignHousehold:
    """Store a household's answers for a campaign and propose its needs (the township confirms).
    Called inside the visit's transaction by visits, or on its own by the village."""
    with transaction.atomic():
        require(_reaches(actor, row.household), _("无权评估该家庭。"))
        campaign = row.campaign
        errors = assessment_errors(campaign, data)
        if assessed_on > today:
            errors["assessed_on"] = _t("评估日期不能晚于今天。")
        if errors:
            raise ValidationError(errors)
        fields = rules.question_fields(campaign.kind)
        values = {f: getattr(data, f) for f in fields}
        if campaign.kind == CampaignKind.OTHER:
            values["answers"] = {q: str((data.answers or {}).get(q, "")).strip()[:200] for q in campaign.questions}
        values |= {"note": data.note.strip()[:200], "assessed_on": assessed_on, "assessed_by": actor}
        if campaign.kind == CampaignKind.WATER and data.can_fetch_water:
            values["next_water_due_on"] = None  # fetches water alone: off the delivery schedule
        updated = CampaignHousehold.objects.filter(pk=row.pk).update(**values)
        assert updated == 1
        members = Person.objects.filter(household=row.household).count() or 1
        proposed = rules.proposed_needs(campaign.kind, values, members)
        # Only proposals follow a new assessment: what the township confirmed stays as confirmed.
        CampaignNeed.objects.filter(campaign=campaign, household=row.household, status=NeedStatus.PROPOSED,
                                    delivered=0).exclude(item__in=[p.item for p in proposed]).delete()
        for p in proposed:
            need, created = CampaignNeed.objects.get_or_create(
                campaign=campaign, household=row.household, item=p.item, defaults={"quantity": p.quantity})
            if not created and need.status == NeedStatus.PROPOSED:
                CampaignNeed.objects.filter(pk=need.pk).update(quantity=p.quantity)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=row, request=request, details={
            "campaign": campaign.pk, "household": row.household.code,
            "answers": {k: (v.pk if isinstance(v, User) else v.isoformat() if isinstance(v, dt.date) else v)
                        for k, v in values.items()},
            "proposed": [[p.item, p.quantity] for p in proposed]})
        row.refresh_from_db()
        return row


# --- the needs list ----------------------------------------------------------------------------------


def need_name(need: CampaignNeed) -> str:
    """The household of a need as a person reads it (head · village · code): the needs list
    annotates the head's name, so naming a row costs no query."""
    if hasattr(need, "head_name"):
        return household_label(head_name=need.head_name, village_name=need.household.village.short_name,
                               code=need.household.code)
    return household_text(need.household)


@dataclass(frozen=True)
class NeedLine:
    need: CampaignNeed
    quantity: int
    source: str
    cancel: bool = False


@transaction.atomic
def needs_confirm(*, actor: User, lines: Sequence[NeedLine], today: dt.date,
                  request: HttpRequest | None = None) -> int:
    """The township confirms its needs list: each line's amount and source (or that it is not
    given). A line already delivered from keeps its item; its amount cannot fall below it."""
    errors = []
    for line in lines:
        need = line.need
        if not _covers(actor, need.household.village_id, CONFIRMERS):
            raise ValidationError(_t("无权确认该需求清单。"))
        if line.cancel:
            if need.delivered:
                errors.append(_t("%(h)s 的%(i)s已有发放，不能取消。") % {"h": need_name(need), "i": need.get_item_display()})
            continue
        if line.quantity < max(1, need.delivered):
            errors.append(_t("%(h)s 的%(i)s数量不能少于 %(n)s。") % {
                "h": need_name(need), "i": need.get_item_display(), "n": max(1, need.delivered)})
        if line.source not in NeedSource.values:
            errors.append(_t("%(h)s 的%(i)s请选择来源。") % {"h": need_name(need), "i": need.get_item_display()})
    if errors:
        raise ValidationError(errors)
    done = 0
    for line in lines:
        if line.cancel:
            values = {"status": NeedStatus.CANCELLED, "confirmed_by": actor, "confirmed_on": today}
        else:
            values = {"status": NeedStatus.CONFIRMED, "quantity": line.quantity, "source": line.source,
                      "confirmed_by": actor, "confirmed_on": today}
        done += CampaignNeed.objects.filter(pk=line.need.pk, delivered__lte=line.quantity if not line.cancel else 0
                                            ).update(**values)
    audit_record(actor=actor, action=AuditAction.CHANGE, object_type="campaigns.needs_list",
                 object_repr=str(lines[0].need.campaign) if lines else "", request=request,
                 details={"lines": [[ln.need.pk, ln.quantity, ln.source, ln.cancel] for ln in lines]})
    return done


def need_add(*, actor: User, row: CampaignHousehold, item: str, quantity: int, source: str, today: dt.date,
             request: HttpRequest | None = None) -> CampaignNeed:
    """The township adds a line the assessment did not propose (confirmed at once)."""
    with transaction.atomic():
        require(_covers(actor, row.household.village_id, CONFIRMERS), _("无权修改该需求清单。"))
        if CampaignNeed.objects.filter(campaign=row.campaign, household=row.household, item=item).exists():
            raise ValidationError({"item": _t("该户已有这项需求，请在清单中修改数量。")})
        need = CampaignNeed(campaign=row.campaign, household=row.household, item=item, quantity=quantity,
                            source=source, status=NeedStatus.CONFIRMED, confirmed_by=actor, confirmed_on=today)
        need.full_clean()
        need.save()
        audit_record(actor=actor, action=AuditAction.CREATE, obj=need, request=request,
                     details={"item": item, "quantity": quantity, "source": source})
        return need


# --- deliveries and stock --------------------------------------------------------------------------


def _stock_area(household: Household) -> str:
    """Stock is held by the township: deliveries from stock or donations issue from there."""
    return ancestor_code(household.village_id, AreaLevel.TOWNSHIP)


def _stock_insert(**fields) -> StockEntry:
    """Insert one ledger entry; the database numbers it and computes the balance. A negative
    balance (or a concurrent writer taking the same place) is refused with a clear message."""
    entry = StockEntry(**fields)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        if "stockentry_never_negative" in str(exc):
            raise ValidationError({"quantity": _t("库存不足：%(item)s 现有库存少于本次数量。") % {
                "item": Item(fields["item"]).label}}) from None
        if "stockentry_seq_once" in str(exc):
            raise ValidationError(_t("同一物资正在被他人登记，请重试。")) from None
        raise
    entry.refresh_from_db(fields=["seq", "balance_after"])
    return entry


@transaction.atomic
def delivery_record(*, actor: User, need: CampaignNeed, quantity: int, delivered_on: dt.date, received_by: str,
                    photo: UploadedFile | None = None, signature: UploadedFile | None = None, note: str = "",
                    client_token: uuid.UUID | None = None, today: dt.date,
                    request: HttpRequest | None = None) -> Delivery:
    """Record what reached a household against a confirmed need, with proof. From government
    stock or a donation, the same quantity leaves the township's stock (issued = delivered)."""
    require(_reaches(actor, need.household), _("无权为该家庭登记发放。"))
    if client_token is not None:
        existing = Delivery.objects.filter(recorded_by=actor, client_token=client_token).first()
        if existing is not None:
            return existing
    need = CampaignNeed.objects.select_for_update().get(pk=need.pk)
    errors: dict[str, str] = {}
    if need.status != NeedStatus.CONFIRMED:
        errors["quantity"] = _t("该需求尚未经乡镇确认，不能发放。")
    elif quantity < 1 or need.delivered + quantity > need.quantity:
        errors["quantity"] = _t("发放数量应为 1 至 %(n)s。") % {"n": need.quantity - need.delivered}
    if delivered_on > today:
        errors["delivered_on"] = _t("发放日期不能晚于今天。")
    if not received_by.strip():
        errors["received_by"] = _t("请填写领取人。")
    if not photo and not signature:
        errors["photo"] = _t("请拍摄发放照片或请领取人签名。")
    if errors:
        raise ValidationError(errors)
    delivery = Delivery(need=need, campaign_id=need.campaign_id, household_id=need.household_id, item=need.item,
                        quantity=quantity, delivered_on=delivered_on, received_by=received_by.strip(),
                        photo=photo or "", signature=signature or "", note=note.strip(), client_token=client_token,
                        recorded_by=actor)
    delivery.full_clean(exclude=["photo", "signature"])
    delivery.save()
    CampaignNeed.objects.filter(pk=need.pk).update(delivered=F("delivered") + quantity)
    if need.source in (NeedSource.STOCK, NeedSource.DONATION):
        _stock_insert(area_id=_stock_area(need.household), item=need.item, kind=StockKind.ISSUED, delta=-quantity,
                      occurred_on=delivered_on, source=need.source, delivery=delivery, campaign_id=need.campaign_id,
                      note=f"{need.household.code} {received_by.strip()}"[:200], recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=delivery, request=request, details={
        "need": need.pk, "household": need.household.code, "item": need.item, "quantity": quantity,
        "delivered_on": delivered_on.isoformat(), "source": need.source})
    return delivery


@transaction.atomic
def delivery_reverse(*, actor: User, delivery: Delivery, reason: str, today: dt.date,
                     request: HttpRequest | None = None) -> Delivery:
    """Correct a wrong delivery by a reversing one (the ledger is never edited); stock issued
    for it comes back."""
    require(_covers(actor, delivery.household.village_id, CONFIRMERS), _("只有乡镇及以上可以冲正发放记录。"))
    if not reason.strip():
        raise ValidationError({"reason": _t("请填写冲正原因。")})
    if Delivery.objects.filter(reverses=delivery).exists():
        raise ValidationError(_t("该发放记录已冲正。"))
    reversal = Delivery.objects.create(
        need_id=delivery.need_id, campaign_id=delivery.campaign_id, household_id=delivery.household_id,
        item=delivery.item, quantity=-delivery.quantity, delivered_on=today, received_by=delivery.received_by,
        reverses=delivery, note=reason.strip()[:200], recorded_by=actor)
    CampaignNeed.objects.filter(pk=delivery.need_id).update(delivered=F("delivered") - delivery.quantity)
    issued = StockEntry.objects.filter(delivery=delivery).first()
    if issued is not None:
        _stock_insert(area_id=issued.area_id, item=issued.item, kind=StockKind.REVERSAL, delta=-issued.delta,
                      occurred_on=today, source=issued.source, delivery=reversal, campaign_id=issued.campaign_id,
                      note=reason.strip()[:200], recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=reversal, request=request,
                 details={"reverses": delivery.pk, "reason": reason.strip()[:200]})
    return reversal


@transaction.atomic
def stock_receive(*, actor: User, area: Area, item: str, quantity: int, occurred_on: dt.date, source: str,
                  note: str = "", campaign: Campaign | None = None, today: dt.date,
                  request: HttpRequest | None = None) -> StockEntry:
    """Goods come into a township's (or county's) stock: government stock or purchases from the
    reserve fund. Donations come in through `donation_record`."""
    require(_covers(actor, area.code, STOCK_KEEPERS), _("无权登记该区划的物资入库。"))
    if area.level == AreaLevel.VILLAGE:
        raise ValidationError({"area": _t("物资由乡镇或县(市)保管，请选择乡镇(街道)或以上区划。")})
    if quantity < 1:
        raise ValidationError({"quantity": _t("入库数量应大于 0。")})
    if occurred_on > today:
        raise ValidationError({"occurred_on": _t("日期不能晚于今天。")})
    if source not in (NeedSource.STOCK, NeedSource.RESERVE_FUND):
        raise ValidationError({"source": _t("捐赠物资请在“社会捐赠”中登记。")})
    entry = _stock_insert(area=area, item=item, kind=StockKind.RECEIVED, delta=quantity, occurred_on=occurred_on,
                          source=source, campaign=campaign, note=note.strip()[:200], recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=entry, request=request,
                 details={"area": area.code, "item": item, "quantity": quantity, "source": source})
    return entry


@transaction.atomic
def donation_record(*, actor: User, area: Area, donor: str, received_on: dt.date, item: str = "", quantity: int = 0,
                    amount_fen: int = 0, campaign: Campaign | None = None, note: str = "", today: dt.date,
                    request: HttpRequest | None = None) -> Donation:
    """A donation received: goods enter the area's stock at once; money is recorded in fen."""
    require(_covers(actor, area.code, STOCK_KEEPERS), _("无权登记该区划的捐赠。"))
    errors = {}
    if not donor.strip():
        errors["donor"] = _t("请填写捐赠方。")
    if area.level == AreaLevel.VILLAGE:
        errors["area"] = _t("捐赠由乡镇或县(市)接收，请选择乡镇(街道)或以上区划。")
    if received_on > today:
        errors["received_on"] = _t("日期不能晚于今天。")
    if bool(item and quantity > 0) == bool(amount_fen > 0):
        errors["quantity"] = _t("请填写捐赠物资及数量，或捐赠金额（二选一）。")
    if errors:
        raise ValidationError(errors)
    donation = Donation(area=area, donor=donor.strip(), received_on=received_on, item=item if quantity else "",
                        quantity=quantity if item else 0, amount_fen=amount_fen, campaign=campaign,
                        note=note.strip()[:200], recorded_by=actor)
    donation.full_clean()
    donation.save()
    if donation.quantity:
        _stock_insert(area=area, item=item, kind=StockKind.RECEIVED, delta=quantity, occurred_on=received_on,
                      source=NeedSource.DONATION, donation=donation, campaign=campaign,
                      note=_t("捐赠：%(d)s") % {"d": donation.donor}, recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=donation, request=request, details={
        "area": area.code, "donor": donation.donor, "item": item, "quantity": quantity, "amount_fen": amount_fen})
    return donation


# --- water delivered to the door ------------------------------------------------------------------


@transaction.atomic
def water_delivery_record(*, actor: User, row: CampaignHousehold, delivered_on: dt.date, litres: int,
                          delivered_by: str, received_by: str = "", note: str = "",
                          client_token: uuid.UUID | None = None, today: dt.date,
                          request: HttpRequest | None = None) -> WaterDelivery:
    """Water reached the door: the next delivery is due N days later (until the campaign ends)
    and the household's open missed-delivery alerts close."""
    require(_reaches(actor, row.household), _("无权为该家庭登记送水。"))
    if client_token is not None:
        existing = WaterDelivery.objects.filter(recorded_by=actor, client_token=client_token).first()
        if existing is not None:
            return existing
    campaign = row.campaign
    errors = {}
    if campaign.kind != CampaignKind.WATER:
        errors["litres"] = _t("只有季节性缺水行动登记送水。")
    if delivered_on > today:
        errors["delivered_on"] = _t("送水日期不能晚于今天。")
    elif delivered_on < campaign.starts_on:
        errors["delivered_on"] = _t("送水日期早于行动开始日期。")
    if not delivered_by.strip():
        errors["delivered_by"] = _t("请填写送水人。")
    if errors:
        raise ValidationError(errors)
    delivery = WaterDelivery(household=row.household, campaign=campaign, delivered_on=delivered_on, litres=litres,
                             delivered_by=delivered_by.strip(), received_by=received_by.strip(), note=note.strip(),
                             client_token=client_token, recorded_by=actor)
    delivery.full_clean()
    delivery.save()
    row = CampaignHousehold.objects.select_for_update().get(pk=row.pk)
    last = WaterDelivery.objects.filter(campaign=campaign, household=row.household).order_by("-delivered_on") \
        .values_list("delivered_on", flat=True).first()
    if row.can_fetch_water is not True:
        row.next_water_due_on = rules.next_water_due(last, campaign.starts_on, campaign.water_every_days,
                                                     campaign.ends_on)
        row.save(update_fields=["next_water_due_on"])
    WaterAlert.objects.filter(row=row, closed_on__isnull=True).update(closed_on=today)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=delivery, request=request, details={
        "campaign": campaign.pk, "household": row.household.code, "litres": litres,
        "delivered_on": delivered_on.isoformat()})
    return delivery


# --- the daily job ----------------------------------------------------------------------------------

CAMPAIGN_JOB_LOCK = 4_2026_1207


def campaigns_daily(*, today: dt.date) -> dict[str, int]:
    """1. Close the alerts of campaigns that have ended; list households that entered the scope
       of running campaigns since yesterday.
    2. Raise an alert for each scheduled water delivery missed (due before today, none since),
       once per household and due date; tell the township and the village committee.
    Safe to run twice (advisory lock, unique alerts)."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [CAMPAIGN_JOB_LOCK])
        # An alert of a campaign that has ended closes with it (nothing more is due).
        WaterAlert.objects.filter(closed_on__isnull=True, row__campaign__ends_on__lt=today).update(closed_on=today)
        added = sum(campaign_scope_refresh(campaign=c, today=today)
                    for c in Campaign.objects.filter(queries.running(today)).prefetch_related("areas"))
        missed = CampaignHousehold.objects.filter(
            campaign__kind=CampaignKind.WATER, campaign__starts_on__lte=today, campaign__ends_on__gte=today,
            next_water_due_on__lt=today).exclude(can_fetch_water=True)
        table = WaterAlert._meta.db_table
        sql, params = missed.annotate(rid=F("pk"), hid=F("household_id"), due=F("next_water_due_on")).values(
            "rid", "hid", "due").query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} (row_id, household_id, due_on, raised_on) "
                f"SELECT m.rid, m.hid, m.due, %s FROM ({sql}) m "
                "ON CONFLICT (row_id, due_on) DO NOTHING RETURNING id", [today, *params])
            new_ids = [r[0] for r in cur.fetchall()]
        alerts = list(WaterAlert.objects.filter(pk__in=new_ids).select_related("household", "row__campaign")
                      .annotate(household_label=household_label_expression("household__")))
        villages = {a.household.village_id for a in alerts}
        townships = {ancestor_code(v, AreaLevel.TOWNSHIP) for v in villages}
        officials: dict[str, list[int]] = {}
        for _role, code, user in RoleAssignment.objects.filter(
                Q(role=Role.TOWNSHIP, area_id__in=townships) | Q(role=Role.VILLAGE_COMMITTEE, area_id__in=villages)
        ).values_list("role", "area_id", "user_id"):
            officials.setdefault(code, []).append(user)
        messages = []
        for a in alerts:
            title = _t("送水逾期：%(code)s 应于 %(due)s 送水，尚未登记（%(c)s）。") % {
                "code": a.household_label, "due": a.due_on.isoformat(), "c": a.row.campaign.name}
            for code in (a.household.village_id, ancestor_code(a.household.village_id, AreaLevel.TOWNSHIP)):
                messages += [Message(u, f"water-alert:{a.pk}", title, a.household_id) for u in officials.get(code, [])]
        notify_many(messages)
        return {"added": added, "alerts": len(new_ids)}

