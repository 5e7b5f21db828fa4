"""Writes of assistance and emergencies: each a keyword-only, transactional function that checks
who may do it, validates, saves and audits. Views, the demo and tests call these."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.files import document_as_stored
from accounts.models import Area, AreaLevel, AuditAction, Role, User
from accounts.permissions import require
from accounts.scoping import area_prefixes, scope_queryset
from beneficiaries.models import Household
from custody.rules import yuan

from . import rules
from .models import (
    ApplicationAction,
    ApplicationEvent,
    ApplicationStatus,
    AssistanceApplication,
    AssistancePolicy,
    Emergency,
    PaymentChannel,
    Relief,
    ReserveEntry,
    ReserveEntryKind,
    ReserveFund,
    RollCall,
    RollCallStatus,
)


def _official_over(actor: User, code: str, *roles: str) -> bool:
    """The actor holds one of `roles` over an area containing `code`."""
    if actor.is_superuser:
        return True
    return any(code.startswith(p) for p in area_prefixes(actor, roles=roles))


def county_of(code: str) -> Area:
    return Area.objects.get(code=code[:6].ljust(12, "0"))


def limits_for(county: Area) -> rules.Limits:
    policy = AssistancePolicy.objects.filter(county=county).first()
    if policy is None:
        return rules.Limits()
    return rules.Limits(township_fen=policy.township_limit_fen, fast_track_fen=policy.fast_track_limit_fen)


def policy_set(*, county: Area, township_limit_fen: int, fast_track_limit_fen: int, actor: User,
               request: HttpRequest | None = None) -> AssistancePolicy:
    require(_official_over(actor, county.code, Role.COUNTY, Role.PREFECTURE),
             _("只有县(市)或州民政局可以设置本县救助审批限额。"))
    if township_limit_fen < 0 or fast_track_limit_fen < 0:
        raise ValidationError(_("限额不能为负数。"))
    with transaction.atomic():
        policy, _created = AssistancePolicy.objects.update_or_create(
            county=county, defaults={"township_limit_fen": township_limit_fen,
                                     "fast_track_limit_fen": fast_track_limit_fen, "changed_by": actor})
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=policy, request=request,
                     details={"township_limit_fen": township_limit_fen, "fast_track_limit_fen": fast_track_limit_fen})
    return policy


# --- applications -----------------------------------------------------------------------------


def _event(app: AssistanceApplication, *, action: str, from_status: str, note: str, actor: User,
           amount_fen: int | None = None) -> None:
    ApplicationEvent.objects.create(application=app, action=action, from_status=from_status, to_status=app.status,
                                    note=note, amount_fen=amount_fen, actor=actor)


def _lock(app: AssistanceApplication) -> AssistanceApplication:
    return AssistanceApplication.objects.select_for_update().select_related("household", "county").get(pk=app.pk)


def _step(app: AssistanceApplication, step: str) -> None:
    if not rules.can(step, app.status):
        raise ValidationError(_("该申请当前状态为“%(status)s”，不能办理此操作。") % {"status": app.get_status_display()})


def application_raise(*, household: Household, kind: str, amount_fen: int, reasons: str, actor: User,
                      today: dt.date, attachment=None, one_case_decision=None, referral=None,
                      request: HttpRequest | None = None) -> AssistanceApplication:
    """A village committee or township raises an application for a household in its area."""
    require(_official_over(actor, household.village_id, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP),
             _("只有村(居)民委员会或乡镇(街道)可以为本辖区家庭提出救助申请。"))
    if amount_fen <= 0:
        raise ValidationError({"amount_fen": _("申请金额必须大于0。")})
    if not (reasons or "").strip():
        raise ValidationError({"reasons": _("请填写申请事由。")})
    for linked, label in ((one_case_decision, _("一事一议")), (referral, _("转介"))):
        if linked is not None and linked.household_id != household.pk:
            raise ValidationError(_("所选%(what)s不属于该家庭。") % {"what": label})
    with transaction.atomic():
        app = AssistanceApplication(household=household, county=county_of(household.village_id), kind=kind,
                                    amount_fen=amount_fen, reasons=reasons.strip(), raised_by=actor, raised_on=today,
                                    one_case_decision=one_case_decision, referral=referral)
        if attachment:
            try:
                app.attachment = document_as_stored(attachment)  # PDF/Word kept, photos re-encoded
            except ValidationError as exc:
                raise ValidationError({"attachment": exc.messages}) from exc
        app.full_clean()
        app.save()
        _event(app, action=ApplicationAction.SUBMIT, from_status="", note=app.reasons, actor=actor,
               amount_fen=amount_fen)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=app, request=request,
                     details={"kind": kind, "amount_fen": amount_fen})
    return app


def application_township_approve(*, application: AssistanceApplication, actor: User, note: str = "",
                                 approved_amount_fen: int | None = None,
                                 request: HttpRequest | None = None) -> AssistanceApplication:
    """The township agrees. Within its limit the approval is final; above it goes to the county."""
    with transaction.atomic():
        app = _lock(application)
        require(_official_over(actor, app.household.village_id, Role.TOWNSHIP),
                 _("只有乡镇(街道)可以审核本辖区的救助申请。"))
        _step(app, "township_approve")
        amount = approved_amount_fen or app.amount_fen
        if amount <= 0 or amount > app.amount_fen:
            raise ValidationError(_("核定金额须大于0且不超过申请金额。"))
        before = app.status
        app.approved_amount_fen = amount
        app.status = rules.status_after_township_approval(amount, limits_for(app.county))
        app.save(update_fields=["approved_amount_fen", "status", "updated_at"])
        _event(app, action=ApplicationAction.TOWNSHIP_APPROVE, from_status=before, note=note, actor=actor,
               amount_fen=amount)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=app, request=request,
                     details={"step": "township_approve", "amount_fen": amount, "status": app.status})
    return app


def application_county_approve(*, application: AssistanceApplication, actor: User, note: str = "",
                               approved_amount_fen: int | None = None,
                               request: HttpRequest | None = None) -> AssistanceApplication:
    with transaction.atomic():
        app = _lock(application)
        require(_official_over(actor, app.household.village_id, Role.COUNTY),
                 _("只有县(市)民政可以审批超出乡镇限额的救助申请。"))
        _step(app, "county_approve")
        amount = approved_amount_fen or app.approved_amount_fen or app.amount_fen
        if amount <= 0 or amount > app.amount_fen:
            raise ValidationError(_("核定金额须大于0且不超过申请金额。"))
        before = app.status
        app.approved_amount_fen = amount
        app.status = ApplicationStatus.APPROVED
        app.save(update_fields=["approved_amount_fen", "status", "updated_at"])
        _event(app, action=ApplicationAction.COUNTY_APPROVE, from_status=before, note=note, actor=actor,
               amount_fen=amount)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=app, request=request,
                     details={"step": "county_approve", "amount_fen": amount})
    return app


def application_reject(*, application: AssistanceApplication, actor: User, note: str,
                       request: HttpRequest | None = None) -> AssistanceApplication:
    if not (note or "").strip():
        raise ValidationError({"note": _("不予救助须写明理由。")})
    with transaction.atomic():
        app = _lock(application)
        _step(app, "reject")
        level = Role.TOWNSHIP if app.status == ApplicationStatus.SUBMITTED else Role.COUNTY
        require(_official_over(actor, app.household.village_id, level),
                 _("您不能在此环节作出不予救助的决定。"))
        before = app.status
        app.status = ApplicationStatus.REJECTED
        app.save(update_fields=["status", "updated_at"])
        _event(app, action=ApplicationAction.REJECT, from_status=before, note=note.strip(), actor=actor)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=app, request=request,
                     details={"step": "reject"})
    return app


def _draw(*, county: Area, app: AssistanceApplication, amount_fen: int, paid_on: dt.date, channel: str,
          actor: User, note: str, key: uuid.UUID | None) -> ReserveEntry:
    """Take money out of the county's reserve fund for one application, under the fund's row lock.
    Refuses to go below zero with a Chinese message; a retried key returns the first entry."""
    if channel not in PaymentChannel.values:
        raise ValidationError({"channel": _("请选择发放方式。")})
    fund = ReserveFund.objects.select_for_update().filter(county=county).first()
    if fund is None:
        raise ValidationError(_("%(county)s尚未建立救助备用金，请先由县(市)民政拨入资金。") % {"county": county.name})
    if fund.balance_fen < amount_fen:
        raise ValidationError(
            _("备用金余额不足：余额 %(balance)s 元，本次发放 %(amount)s 元。")
            % {"balance": yuan(fund.balance_fen), "amount": yuan(amount_fen)})
    after = fund.balance_fen - amount_fen
    entry = ReserveEntry.objects.create(
        fund=fund, kind=ReserveEntryKind.PAYMENT, amount_fen=-amount_fen, balance_after_fen=after,
        entry_date=paid_on, application=app, channel=channel, note=note[:200], recorded_by=actor,
        idempotency_key=key or uuid.uuid4())
    ReserveFund.objects.filter(pk=fund.pk).update(balance_fen=after)
    return entry


def _pay(*, application: AssistanceApplication, step: str, actor: User, paid_on: dt.date, channel: str,
         note: str, key: uuid.UUID | None, request: HttpRequest | None, today: dt.date) -> AssistanceApplication:
    if key is not None:
        done = ReserveEntry.objects.filter(idempotency_key=key).select_related("application").first()
        if done is not None:
            if done.application_id != application.pk:
                raise ValidationError(_("提交标识重复，请刷新页面后重试。"))
            return done.application
    if paid_on > today:
        raise ValidationError({"paid_on": _("发放日期不能晚于今天。")})
    with transaction.atomic():
        app = _lock(application)
        _step(app, step)
        before = app.status
        if step == "fast_pay":
            require(_official_over(actor, app.household.village_id, Role.TOWNSHIP),
                     _("先行救助由乡镇(街道)发放。"))
            amount = app.amount_fen
            refusal = rules.fast_track_refusal(app.kind, amount, limits_for(app.county))
            if refusal == "kind":
                raise ValidationError(_("只有临时救助、急难型救助可以先行救助。"))
            if refusal == "limit":
                raise ValidationError(_("先行救助不能超过本县限额 %(limit)s 元，请走审批程序。")
                                      % {"limit": yuan(limits_for(app.county).fast_track_fen)})
            app.approved_amount_fen = amount
            app.fast_track = True
            app.status = ApplicationStatus.FAST_PAID
            action = ApplicationAction.FAST_PAY
        else:
            require(_official_over(actor, app.household.village_id, Role.TOWNSHIP, Role.COUNTY),
                     _("救助金由乡镇(街道)或县(市)民政发放。"))
            amount = app.approved_amount_fen or app.amount_fen
            app.status = ApplicationStatus.PAID
            action = ApplicationAction.PAY
        try:
            with transaction.atomic():
                entry = _draw(county=app.county, app=app, amount_fen=amount, paid_on=paid_on, channel=channel,
                              actor=actor, note=note or str(app), key=key)
        except IntegrityError as exc:
            raise ValidationError(_("该申请已经发放过，不能重复发放。")) from exc
        app.save(update_fields=["approved_amount_fen", "fast_track", "status", "updated_at"])
        _event(app, action=action, from_status=before, note=note, actor=actor, amount_fen=amount)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=app, request=request,
                     details={"step": step, "amount_fen": amount, "channel": channel, "entry": entry.pk})
    return app


def application_fast_pay(*, application: AssistanceApplication, actor: User, paid_on: dt.date, channel: str,
                         today: dt.date, note: str = "", idempotency_key: uuid.UUID | None = None,
                         request: HttpRequest | None = None) -> AssistanceApplication:
    """先行救助: the township pays urgent help within the county's fast-track limit at once, from the
    county reserve fund; the county reviews afterwards."""
    return _pay(application=application, step="fast_pay", actor=actor, paid_on=paid_on, channel=channel,
                note=note, key=idempotency_key, request=request, today=today)


def application_pay(*, application: AssistanceApplication, actor: User, paid_on: dt.date, channel: str,
                    today: dt.date, note: str = "", idempotency_key: uuid.UUID | None = None,
                    request: HttpRequest | None = None) -> AssistanceApplication:
    return _pay(application=application, step="pay", actor=actor, paid_on=paid_on, channel=channel,
                note=note, key=idempotency_key, request=request, today=today)


def application_review(*, application: AssistanceApplication, actor: User, agreed: bool, note: str,
                       request: HttpRequest | None = None) -> AssistanceApplication:
    """The county reviews a fast-track payment after the fact. Disagreement is recorded with its
    reason (the money is not clawed back here; recovery, if any, is a separate decision)."""
    if not agreed and not (note or "").strip():
        raise ValidationError({"note": _("复核不同意须写明理由。")})
    with transaction.atomic():
        app = _lock(application)
        require(_official_over(actor, app.household.village_id, Role.COUNTY), _("先行救助由县(市)民政复核。"))
        _step(app, "review")
        before = app.status
        app.status = ApplicationStatus.REVIEWED
        app.save(update_fields=["status", "updated_at"])
        text = (_("复核同意") if agreed else _("复核不同意")) + (f"：{note.strip()}" if note.strip() else "")
        _event(app, action=ApplicationAction.REVIEW, from_status=before, note=text, actor=actor)
        audit_record(actor=actor, action=AuditAction.CHANGE, obj=app, request=request,
                     details={"step": "review", "agreed": agreed})
    return app


# --- reserve fund -----------------------------------------------------------------------------


def reserve_allocate(*, county: Area, amount_fen: int, entry_date: dt.date, note: str, actor: User,
                     idempotency_key: uuid.UUID | None = None, request: HttpRequest | None = None) -> ReserveEntry:
    """The county puts money into its reserve fund (拨入). Creates the fund on first use."""
    require(_official_over(actor, county.code, Role.COUNTY), _("只有县(市)民政可以向本县备用金拨入资金。"))
    if amount_fen <= 0:
        raise ValidationError({"amount_fen": _("拨入金额必须大于0。")})
    if idempotency_key is not None:
        done = ReserveEntry.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    with transaction.atomic():
        ReserveFund.objects.get_or_create(county=county)
        fund = ReserveFund.objects.select_for_update().get(county=county)
        after = fund.balance_fen + amount_fen
        entry = ReserveEntry.objects.create(
            fund=fund, kind=ReserveEntryKind.ALLOCATION, amount_fen=amount_fen, balance_after_fen=after,
            entry_date=entry_date, note=(note or "")[:200], recorded_by=actor,
            idempotency_key=idempotency_key or uuid.uuid4())
        ReserveFund.objects.filter(pk=fund.pk).update(balance_fen=after)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=entry, request=request,
                     details={"county": county.code, "amount_fen": amount_fen})
    return entry


def reserve_reverse(*, entry: ReserveEntry, reason: str, entry_date: dt.date, actor: User,
                    request: HttpRequest | None = None) -> ReserveEntry:
    """Correct a wrong line by a reversing entry (never by editing it)."""
    require(_official_over(actor, entry.fund.county_id, Role.COUNTY), _("只有县(市)民政可以冲正备用金台账。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("冲正须写明原因。")})
    with transaction.atomic():
        fund = ReserveFund.objects.select_for_update().get(pk=entry.fund_id)
        if entry.kind == ReserveEntryKind.REVERSAL:
            raise ValidationError(_("冲正记录不能再冲正。"))
        if ReserveEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("该记录已经冲正过。"))
        after = fund.balance_fen - entry.amount_fen
        if after < 0:
            raise ValidationError(_("冲正后备用金余额将为负数，不能冲正。"))
        rev = ReserveEntry.objects.create(
            fund=fund, kind=ReserveEntryKind.REVERSAL, amount_fen=-entry.amount_fen, balance_after_fen=after,
            entry_date=entry_date, reverses=entry, application=entry.application,
            note=_("冲正：%(reason)s") % {"reason": reason.strip()[:150]}, recorded_by=actor)
        ReserveFund.objects.filter(pk=fund.pk).update(balance_fen=after)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=rev, request=request,
                     details={"reverses": entry.pk, "reason": reason.strip()[:150]})
    return rev


# --- emergencies ------------------------------------------------------------------------------


def emergency_declare(*, kind: str, title: str, county: Area, areas: list[Area], starts_on: dt.date,
                      ends_on: dt.date | None, special_period: bool, description: str, actor: User,
                      today: dt.date, request: HttpRequest | None = None) -> Emergency:
    """A county (or the prefecture) declares an emergency for townships or villages under it.
    With `special_period`, phone and video checks in those areas count as visits meanwhile."""
    require(_official_over(actor, county.code, Role.COUNTY, Role.PREFECTURE),
             _("只有县(市)或州民政局可以宣布应急事件。"))
    if not areas:
        raise ValidationError({"areas": _("请至少选择一个受影响的乡镇或村。")})
    outside = [a.name for a in areas if not a.code.startswith(county.prefix) or a.level not in
               (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)]
    if outside:
        raise ValidationError({"areas": _("受影响区域须为本辖区的乡镇或村：%(names)s") % {"names": "、".join(outside)}})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    with transaction.atomic():
        event = Emergency(kind=kind, title=title.strip(), county=county, starts_on=starts_on, ends_on=ends_on,
                          special_period=special_period, description=description, declared_by=actor)
        event.full_clean()
        event.save()
        event.areas.set(areas)
        audit_record(actor=actor, action=AuditAction.CREATE, obj=event, request=request,
                     details={"areas": [a.code for a in areas], "special_period": special_period})
        if special_period:
            from visits.actions import special_period_declare
            from visits.models import SpecialPeriodKind

            sp_kind = SpecialPeriodKind.EPIDEMIC if kind == "epidemic" else SpecialPeriodKind.DISASTER
            for area in areas:
                special_period_declare(actor=actor, area=area, kind=sp_kind, starts_on=starts_on,
                                       ends_on=ends_on or starts_on + dt.timedelta(days=30),
                                       reason=(_("应急事件：%(title)s") % {"title": event.title})[:200],
                                       today=today, request=request)
    return event


def emergency_close(*, emergency: Emergency, ends_on: dt.date, actor: User,
                    request: HttpRequest | None = None) -> Emergency:
    require(_official_over(actor, emergency.county_id, Role.COUNTY, Role.PREFECTURE),
             _("只有宣布单位可以结束应急事件。"))
    if ends_on < emergency.starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    Emergency.objects.filter(pk=emergency.pk).update(ends_on=ends_on)
    emergency.ends_on = ends_on
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=emergency, request=request,
                 details={"ends_on": str(ends_on)})
    return emergency


def roll_call_mark(*, emergency: Emergency, household: Household, status: str, actor: User,
                   checked_at: dt.datetime | None = None, note: str = "", client_token: uuid.UUID | None = None,
                   request: HttpRequest | None = None) -> tuple[RollCall, bool]:
    """Record one check of an affected household. Returns (roll call, created); a retried token
    returns the stored one. The household must be affected and reachable by the actor (its cadre,
    its village, township or county)."""
    from . import queries

    if status not in RollCallStatus.values:
        raise ValidationError({"status": _("请选择核查结果。")})
    if not queries.affected_households(emergency).filter(pk=household.pk).exists():
        raise ValidationError(_("该家庭不在此次应急事件的受影响范围内。"))
    require(actor.is_superuser or scope_queryset(actor, Household.objects.filter(pk=household.pk)).exists(),
             _("您不能核查该家庭。"))
    token = client_token or uuid.uuid4()
    stored = RollCall.objects.filter(emergency=emergency, client_token=token).first()
    if stored is not None:
        return stored, False
    now = timezone.now()
    when = checked_at or now
    if when > now + dt.timedelta(minutes=5):
        when = now  # a phone whose clock runs ahead does not write the future
    try:
        with transaction.atomic():
            call = RollCall.objects.create(emergency=emergency, household=household, status=status,
                                           note=(note or "")[:200], checked_by=actor, checked_at=when,
                                           client_token=token)
    except IntegrityError:
        return RollCall.objects.get(emergency=emergency, client_token=token), False
    audit_record(actor=actor, action=AuditAction.CREATE, obj=call, request=request,
                 details={"emergency": emergency.pk, "status": status})
    return call, True


def relief_record(*, emergency: Emergency, household: Household, given_on: dt.date, items: str, amount_fen: int,
                  actor: User, request: HttpRequest | None = None) -> Relief:
    from . import queries

    require(_official_over(actor, household.village_id, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY),
             _("救助发放由村(居)、乡镇(街道)或县(市)民政登记。"))
    if not queries.affected_households(emergency).filter(pk=household.pk).exists():
        raise ValidationError(_("该家庭不在此次应急事件的受影响范围内。"))
    if not (items or "").strip():
        raise ValidationError({"items": _("请填写救助物资或内容。")})
    if amount_fen < 0:
        raise ValidationError({"amount_fen": _("金额不能为负数。")})
    relief = Relief.objects.create(emergency=emergency, household=household, given_on=given_on,
                                   items=items.strip()[:200], amount_fen=amount_fen, recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=relief, request=request,
                 details={"emergency": emergency.pk, "amount_fen": amount_fen})
    return relief
