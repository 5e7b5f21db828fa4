"""Every write of fund custody. Each function is keyword-only, transactional, validates with a
clear Chinese message (ValidationError, nothing changed) and writes an audit row.

Postings to the ledger take a row lock on the account (SELECT … FOR UPDATE) so that concurrent
withdrawals are serialised; the CHECK constraints on the balance are the last line of defence.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.files import document_as_stored, receipt_as_stored
from accounts.models import Area, AreaLevel, AuditAction, Role, User
from accounts.permissions import require, require_role
from accounts.scoping import area_prefixes, scope_queryset
from beneficiaries.models import Person, SelfCare

from . import rules
from .models import (
    AccountStatus,
    Caregiver,
    CheckResult,
    Custodian,
    CustodyAccount,
    CustodyPolicy,
    DutyEvaluation,
    DutyRole,
    EntryKind,
    EvaluationResult,
    EvaluatorLevel,
    LedgerCheck,
    LedgerEntry,
    Replacement,
    SampleResult,
    SpotCheck,
    SpotCheckSample,
    VillageMeeting,
    supervisor_prefixes,
)


def person_facts(person: Person) -> rules.PersonFacts:
    household = person.household
    return rules.PersonFacts(
        name=person.name,
        tier=household.tier,
        household_active=household.is_active,
        civil_capacity=person.civil_capacity,
        guardian_name=person.guardian_name,
        guardian_can_act=person.guardian_can_act,
    )


# Who may act (views check the same before showing a form; imports, API calls and the admin come
# through here too). `actor=None` is a system write (a Celery task), which no role restricts.
MANAGERS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP)


def _allow(actor: User | None, roles: tuple[str, ...], *, account: CustodyAccount | None = None,
           person: Person | None = None, area: Area | None = None, sample=None) -> None:
    if actor is None:
        return
    require_role(actor, *roles)
    if account is not None:
        require(scope_queryset(actor, CustodyAccount.objects.filter(pk=account.pk)).exists(), _("该代管账户不在您负责的范围内。"))
    if person is not None:
        require(scope_queryset(actor, Person.objects.filter(pk=person.pk)).exists(), _("该对象不在您负责的范围内。"))
    if area is not None:
        require(any(area.code.startswith(p) for p in area_prefixes(actor, roles)), _("该区划不在您负责的范围内。"))
    if sample is not None:
        require(scope_queryset(actor, type(sample).objects.filter(pk=sample.pk)).exists(), _("该抽查对象不在您负责的范围内。"))


def _lock(account: CustodyAccount) -> CustodyAccount:
    return CustodyAccount.objects.select_for_update().select_related("person__household").get(pk=account.pk)


def _require_open(account: CustodyAccount) -> None:
    if not account.is_open:
        raise ValidationError(_("该代管账户已销户，不能再办理业务。"))


# --- accounts --------------------------------------------------------------------------------


@transaction.atomic
def account_open(*, person: Person, opened_on: date, reason: str, actor: User, today: date,
                 request: HttpRequest | None = None) -> CustodyAccount:
    """Open the custody account of an eligible person.

    1. lock the person row, so two clerks cannot open two accounts at once;
    2. check eligibility (every unmet condition is named);
    3. create the account with a zero balance, audit."""
    _allow(actor, MANAGERS, person=person)
    person = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    errors = rules.eligibility_errors(person_facts(person))
    if not reason.strip():
        errors.append(_("请填写开户原因。"))
    if opened_on > today:
        errors.append(_("开户日期不能晚于今天。"))
    if CustodyAccount.objects.filter(person=person, status=AccountStatus.OPEN).exists():
        errors.append(_("%(name)s 已有在管的代管账户。") % {"name": person.name})
    if errors:
        raise ValidationError(errors)
    account = CustodyAccount.objects.create(person=person, opened_on=opened_on, opening_reason=reason.strip(),
                                            opened_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=account, request=request,
                 details={"person": person.pk, "opened_on": str(opened_on)})
    return account


@transaction.atomic
def account_close(*, account: CustodyAccount, closed_on: date, reason: str, actor: User, today: date,
                  request: HttpRequest | None = None) -> CustodyAccount:
    """Close an account; the balance at that moment is recorded as its final balance (to be
    handed over as the reason says). Ends the current custodian and caregiver terms."""
    _allow(actor, MANAGERS, account=account)
    account = _lock(account)
    _require_open(account)
    errors = []
    if not reason.strip():
        errors.append(_("请填写销户原因。"))
    if closed_on > today:
        errors.append(_("销户日期不能晚于今天。"))
    if closed_on < account.opened_on:
        errors.append(_("销户日期不能早于开户日期。"))
    if errors:
        raise ValidationError(errors)
    account.status = AccountStatus.CLOSED
    account.closed_on = closed_on
    account.closing_reason = reason.strip()
    account.final_balance_fen = account.balance_fen
    account.closed_by = actor
    account.save(update_fields=["status", "closed_on", "closing_reason", "final_balance_fen", "closed_by"])
    for model in (Custodian, Caregiver):
        model.objects.filter(account=account, ended_on__isnull=True).update(
            ended_on=closed_on, end_reason=_("账户销户")
        )
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=account, request=request,
                 details={"status": ["open", "closed"], "final_balance_fen": account.final_balance_fen,
                          "reason": account.closing_reason})
    return account


# --- village meeting, custodian, caregiver ----------------------------------------------------


@transaction.atomic
def meeting_record(*, village: Area, held_on: date, attendance: int, attendees: str, resolution: str,
                   minutes: UploadedFile, actor: User, today: date,
                   request: HttpRequest | None = None) -> VillageMeeting:
    _allow(actor, MANAGERS, area=village)
    errors = []
    if village.level != AreaLevel.VILLAGE:
        errors.append(_("村民会议须由村(居)召开。"))
    if held_on > today:
        errors.append(_("会议日期不能晚于今天。"))
    if not resolution.strip():
        errors.append(_("请填写会议决议。"))
    if errors:
        raise ValidationError(errors)
    try:
        minutes = document_as_stored(minutes)  # PDF/Word kept, photos re-encoded, nothing else
    except ValidationError as exc:
        raise ValidationError({"minutes": exc.messages}) from exc
    meeting = VillageMeeting(village=village, held_on=held_on, attendance=attendance, attendees=attendees.strip(),
                             resolution=resolution.strip(), minutes=minutes, recorded_by=actor)
    meeting.full_clean()
    meeting.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=meeting, request=request,
                 details={"village": village.code, "held_on": str(held_on)})
    return meeting


def _close_replacement(account: CustodyAccount, role: str, on: date) -> None:
    Replacement.objects.filter(account=account, role=role, closed_on__isnull=True).update(closed_on=on)


@transaction.atomic
def custodian_elect(*, account: CustodyAccount, meeting: VillageMeeting, candidate: rules.CustodianCandidate,
                    phone: str, started_on: date, actor: User, today: date,
                    request: HttpRequest | None = None) -> Custodian:
    """Record the custodian elected at a village meeting; the previous custodian's term ends the
    day the new one starts (the history stays).

    The account row lock serialises this with caregiver appointments, so the rule "the
    custodian is never also the caregiver" cannot be broken by two clerks at once."""
    _allow(actor, MANAGERS, account=account)
    account = _lock(account)
    _require_open(account)
    person = account.person
    caregiver = Caregiver.objects.filter(account=account, ended_on__isnull=True).first()
    errors = rules.custodian_errors(
        candidate,
        person_id_number=person.id_number,
        person_birth_date=person.birth_date,
        person_village=person.household.village_id,
        meeting_village=meeting.village_id,
        meeting_date=meeting.held_on,
        starts_on=started_on,
        caregiver_name=caregiver.name if caregiver else "",
        caregiver_id_number=caregiver.id_number if caregiver else "",
    )
    if started_on > today:
        errors.append(_("任职日期不能晚于今天。"))
    current = Custodian.objects.filter(account=account, ended_on__isnull=True).first()
    if current and started_on < current.started_on:
        errors.append(_("新代管人的任职日期不能早于现任代管人的任职日期（%(d)s）。") % {"d": current.started_on})
    if errors:
        raise ValidationError(errors)
    if current:
        current.ended_on = started_on
        current.end_reason = _("经村民会议改选")
        current.save(update_fields=["ended_on", "end_reason"])
    custodian = Custodian(
        account=account, meeting=meeting, name=candidate.name.strip(), id_number=candidate.id_number,
        phone=phone.strip(), is_party_member=candidate.is_party_member, is_village_elder=candidate.is_village_elder,
        is_committee_head=candidate.is_committee_head, legal_procedure=candidate.legal_procedure.strip(),
        child_wishes=candidate.child_wishes.strip(), started_on=started_on, created_by=actor,
    )
    custodian.full_clean()
    custodian.save()
    _close_replacement(account, DutyRole.CUSTODIAN, started_on)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=custodian, request=request,
                 details={"account": account.pk, "meeting": meeting.pk, "replaces": current.pk if current else None})
    return custodian


@transaction.atomic
def caregiver_appoint(*, account: CustodyAccount, name: str, id_number: str, phone: str, relation: str,
                      started_on: date, actor: User, today: date, request: HttpRequest | None = None) -> Caregiver:
    """Appoint the caregiver; the previous one's appointment ends the day the new one starts."""
    _allow(actor, MANAGERS, account=account)
    account = _lock(account)
    _require_open(account)
    custodian = Custodian.objects.filter(account=account, ended_on__isnull=True).first()
    errors = rules.caregiver_errors(
        name=name, id_number=id_number, person_id_number=account.person.id_number,
        custodian_name=custodian.name if custodian else "", custodian_id_number=custodian.id_number if custodian else "",
    )
    if started_on > today:
        errors.append(_("开始日期不能晚于今天。"))
    if started_on < account.opened_on:
        errors.append(_("开始日期不能早于开户日期。"))
    current = Caregiver.objects.filter(account=account, ended_on__isnull=True).first()
    if current and started_on < current.started_on:
        errors.append(_("新照料护理人的开始日期不能早于现任的开始日期（%(d)s）。") % {"d": current.started_on})
    if errors:
        raise ValidationError(errors)
    if current:
        current.ended_on = started_on
        current.end_reason = _("更换照料护理人")
        current.save(update_fields=["ended_on", "end_reason"])
    caregiver = Caregiver(account=account, name=name.strip(), id_number=id_number, phone=phone.strip(),
                          relation=relation.strip(), started_on=started_on, created_by=actor)
    caregiver.full_clean()
    caregiver.save()
    _close_replacement(account, DutyRole.CAREGIVER, started_on)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=caregiver, request=request,
                 details={"account": account.pk, "replaces": current.pk if current else None})
    return caregiver


# --- the ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    replayed: bool  # True: the idempotency key had been posted before; nothing new was written


def _post(*, account: CustodyAccount, key: uuid.UUID, actor: User, today: date, request: HttpRequest | None,
          build) -> Posting:
    """The one way into the ledger.

    1. lock the account row (concurrent postings of one account wait here, in turn);
    2. a key already posted returns that entry and writes nothing (a form submitted twice);
    3. `build(account)` validates and returns the unsaved entry with its signed amount;
    4. refuse a balance below zero, insert the entry, store the new balance, audit."""
    with transaction.atomic():
        locked = _lock(account)
        existing = LedgerEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.account_id != locked.pk:
                raise ValidationError(_("提交标识已用于另一个账户，请刷新页面后重新填写。"))
            return Posting(existing, replayed=True)
        _require_open(locked)
        entry: LedgerEntry = build(locked)
        if entry.entry_date > today:
            raise ValidationError(_("发生日期不能晚于今天。"))
        if entry.entry_date < locked.opened_on:
            raise ValidationError(_("发生日期不能早于开户日期（%(d)s）。") % {"d": locked.opened_on})
        try:
            after = rules.balance_after(locked.balance_fen, entry.amount_fen)
        except ValueError:
            raise ValidationError(
                _("余额不足：当前余额 %(balance)s 元，本笔需 %(amount)s 元。")
                % {"balance": rules.yuan(locked.balance_fen), "amount": rules.yuan(-entry.amount_fen)}
            ) from None
        entry.account = locked
        entry.balance_after_fen = after
        entry.idempotency_key = key
        entry.posted_by = actor
        entry.full_clean(exclude=["account", "idempotency_key", "posted_by", "reverses"])
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            # The same key raced in on another account between our check and insert.
            existing = LedgerEntry.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise
            raise ValidationError(_("提交标识已被使用，请刷新页面后重新填写。")) from None
        CustodyAccount.objects.filter(pk=locked.pk).update(balance_fen=after)
        account.balance_fen = after
        audit_record(actor=actor, action=AuditAction.CREATE, obj=entry, request=request,
                     details={"account": locked.pk, "kind": entry.kind, "amount_fen": entry.amount_fen,
                              "balance_after_fen": after, "reverses": entry.reverses_id})
        return Posting(entry, replayed=False)


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise ValidationError(_("金额必须大于0。"))


def ledger_deposit(*, account: CustodyAccount, amount_fen: int, fund_type: str, entry_date: date, note: str = "",
                   idempotency_key: uuid.UUID, actor: User, today: date,
                   request: HttpRequest | None = None) -> Posting:
    """Record money received into custody (one fund type per entry)."""
    _allow(actor, MANAGERS, account=account)
    _positive(amount_fen)

    def build(locked: CustodyAccount) -> LedgerEntry:
        return LedgerEntry(kind=EntryKind.DEPOSIT, amount_fen=amount_fen, fund_type=fund_type,
                           entry_date=entry_date, note=note.strip())

    return _post(account=account, key=idempotency_key, actor=actor, today=today, request=request, build=build)


def ledger_withdraw(*, account: CustodyAccount, amount_fen: int, purpose: str, entry_date: date,
                    receipt_number: str = "", receipt_photo: UploadedFile | None = None, note: str = "",
                    idempotency_key: uuid.UUID, actor: User, today: date,
                    request: HttpRequest | None = None) -> Posting:
    """Record daily expenses drawn by the caregiver holding the role on `entry_date`."""
    _allow(actor, MANAGERS, account=account)
    _positive(amount_fen)
    if receipt_photo:
        try:
            receipt_photo = receipt_as_stored(receipt_photo)  # a PDF kept, a photo re-encoded to JPEG
        except ValidationError as exc:
            raise ValidationError({"receipt_photo": exc.messages}) from exc

    def build(locked: CustodyAccount) -> LedgerEntry:
        caregiver = (
            Caregiver.objects.filter(account=locked, started_on__lte=entry_date)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=entry_date))
            .first()
        )
        if caregiver is None:
            raise ValidationError(_("%(d)s 该账户没有在任的照料护理人，不能支取。") % {"d": entry_date})
        return LedgerEntry(kind=EntryKind.WITHDRAWAL, amount_fen=-amount_fen, purpose=purpose, entry_date=entry_date,
                           caregiver=caregiver, receipt_number=receipt_number.strip(),
                           receipt_photo=receipt_photo or "", note=note.strip())

    return _post(account=account, key=idempotency_key, actor=actor, today=today, request=request, build=build)


def ledger_reverse(*, entry: LedgerEntry, reason: str, entry_date: date, idempotency_key: uuid.UUID, actor: User,
                   today: date, request: HttpRequest | None = None) -> Posting:
    """Correct a mistaken entry by posting its negation, naming it. Nothing is edited."""
    _allow(actor, MANAGERS, account=entry.account)
    if not reason.strip():
        raise ValidationError(_("请填写冲正原因。"))

    def build(locked: CustodyAccount) -> LedgerEntry:
        original = LedgerEntry.objects.get(pk=entry.pk)
        if original.account_id != locked.pk:
            raise ValidationError(_("只能冲正本账户的记录。"))
        if original.kind == EntryKind.REVERSAL:
            raise ValidationError(_("冲正记录不能再被冲正；如有错误请重新记一笔正确的收支。"))
        if LedgerEntry.objects.filter(reverses=original).exists():
            raise ValidationError(_("第 %(n)s 号记录已被冲正过。") % {"n": original.pk})
        return LedgerEntry(kind=EntryKind.REVERSAL, amount_fen=-original.amount_fen, reverses=original,
                           fund_type=original.fund_type, purpose=original.purpose, entry_date=entry_date,
                           note=(_("冲正第 %(n)s 号记录：") % {"n": original.pk}) + reason.strip())

    return _post(account=entry.account, key=idempotency_key, actor=actor, today=today, request=request, build=build)


# --- checks and evaluations ------------------------------------------------------------------


@transaction.atomic
def check_sign(*, account: CustodyAccount, period_start: date, period_end: date, result: str, issues: str,
               actor: User, today: date, request: HttpRequest | None = None) -> LedgerCheck:
    """The village committee signs a periodic check of the ledger (dated today, by the actor)."""
    _allow(actor, (Role.VILLAGE_COMMITTEE,), account=account)
    account = _lock(account)
    errors = []
    if period_end < period_start:
        errors.append(_("检查期间的结束日期不能早于开始日期。"))
    if period_end > today:
        errors.append(_("检查期间不能晚于今天。"))
    if result == CheckResult.ABNORMAL and not issues.strip():
        errors.append(_("检查结果为“异常”时，请写明发现的问题。"))
    if errors:
        raise ValidationError(errors)
    check = LedgerCheck.objects.create(account=account, period_start=period_start, period_end=period_end,
                                       checked_on=today, checker=actor, result=result, issues=issues.strip(),
                                       balance_fen=account.balance_fen)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=check, request=request,
                 details={"account": account.pk, "result": result})
    return check


def is_disabled_tier_a(person: Person) -> bool:
    return person.household.tier == "A" and person.self_care in (SelfCare.NONE, SelfCare.PARTIAL)


@transaction.atomic
def evaluation_record(*, account: CustodyAccount, role: str, level: str, result: str, notes: str, actor: User,
                      today: date, request: HttpRequest | None = None) -> DutyEvaluation:
    """Evaluate the current custodian or caregiver. The township's monthly evaluation covers the
    caregivers of disabled tier-A persons, once per caregiver and month. A failed evaluation
    starts a replacement, closed when the successor is appointed."""
    _allow(actor, MANAGERS, account=account)
    account = _lock(account)
    _require_open(account)
    model = Custodian if role == DutyRole.CUSTODIAN else Caregiver
    subject = model.objects.filter(account=account, ended_on__isnull=True).first()
    errors = []
    if subject is None:
        errors.append(_("该账户当前没有在任的%(role)s。") % {"role": DutyRole(role).label})
    if level == EvaluatorLevel.TOWNSHIP:
        if role != DutyRole.CAREGIVER:
            errors.append(_("乡镇(街道)按月评估的是照料护理人。"))
        if not is_disabled_tier_a(account.person):
            errors.append(_("乡镇(街道)按月评估只针对失能、半失能的A类对象的照料护理人。"))
    if result == EvaluationResult.FAIL and not notes.strip():
        errors.append(_("评估为“不称职”时，请写明理由。"))
    period = rules.month_start(today)
    if (level == EvaluatorLevel.TOWNSHIP and subject is not None and role == DutyRole.CAREGIVER
            and DutyEvaluation.objects.filter(caregiver=subject, period=period, level=level).exists()):
        errors.append(_("本月已评估过该照料护理人。"))
    if errors:
        raise ValidationError(errors)
    evaluation = DutyEvaluation.objects.create(
        account=account, role=role, level=level, period=period, evaluated_on=today, result=result,
        notes=notes.strip(), evaluated_by=actor,
        custodian=subject if role == DutyRole.CUSTODIAN else None,
        caregiver=subject if role == DutyRole.CAREGIVER else None,
    )
    details = {"account": account.pk, "role": role, "level": level, "result": result}
    if result == EvaluationResult.FAIL and not Replacement.objects.filter(
        account=account, role=role, closed_on__isnull=True
    ).exists():
        replacement = Replacement.objects.create(account=account, role=role, evaluation=evaluation, opened_on=today)
        details["replacement"] = replacement.pk
    audit_record(actor=actor, action=AuditAction.CREATE, obj=evaluation, request=request, details=details)
    return evaluation


# --- spot checks -----------------------------------------------------------------------------


@transaction.atomic
def spot_check_draw(*, area: Area, percent: int, actor: User, today: date, seed: int | None = None, note: str = "",
                    request: HttpRequest | None = None) -> SpotCheck:
    """Draw a reproducible random sample of the open accounts in `area` (an area under the
    supervisor's role). The population, the seed and the sample are all recorded."""
    _allow(actor, (Role.FINANCIAL_SUPERVISOR,), area=area)
    errors = []
    prefixes = supervisor_prefixes(actor)
    if not any(area.code.startswith(p) for p in prefixes) and not actor.is_superuser:
        errors.append(_("只能在本人负责的区域内抽查。"))
    if not 1 <= percent <= 100:
        errors.append(_("抽查比例须在1%到100%之间。"))
    from .queries import open_account_ids

    population = open_account_ids(area.prefix)
    if not population:
        errors.append(_("%(area)s 没有在管的代管账户，无法抽查。") % {"area": area.name})
    if errors:
        raise ValidationError(errors)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    spot_check = SpotCheck.objects.create(area=area, percent=percent, seed=seed, population_ids=population,
                                          drawn_on=today, supervisor=actor, note=note.strip())
    sample = rules.draw_sample(population, percent, seed)
    SpotCheckSample.objects.bulk_create([SpotCheckSample(spot_check=spot_check, account_id=pk) for pk in sample])
    audit_record(actor=actor, action=AuditAction.CREATE, obj=spot_check, request=request,
                 details={"area": area.code, "percent": percent, "seed": seed, "population": len(population),
                          "sample": sample})
    return spot_check


@transaction.atomic
def sample_finding_record(*, sample: SpotCheckSample, result: str, finding: str, actor: User, today: date,
                          request: HttpRequest | None = None) -> SpotCheckSample:
    _allow(actor, (Role.FINANCIAL_SUPERVISOR,), sample=sample)
    if result == SampleResult.ABNORMAL and not finding.strip():
        raise ValidationError(_("抽查结果为“异常”时，请写明发现的问题。"))
    if result == SampleResult.PENDING:
        raise ValidationError(_("请选择抽查结果。"))
    sample = SpotCheckSample.objects.select_for_update().get(pk=sample.pk)
    old = {"result": sample.result, "finding": sample.finding}
    sample.result, sample.finding, sample.checked_on, sample.checked_by = result, finding.strip(), today, actor
    sample.save(update_fields=["result", "finding", "checked_on", "checked_by"])
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=sample, request=request,
                 details={"old": old, "new": {"result": result, "finding": sample.finding}})
    return sample


# --- settings --------------------------------------------------------------------------------


@transaction.atomic
def policy_set(*, county: Area, balance_ceiling_fen: int, actor: User,
               request: HttpRequest | None = None) -> CustodyPolicy:
    """Set a county's balance ceiling (prefecture bureau); the change is audited with old/new."""
    _allow(actor, (Role.PREFECTURE,), area=county)
    if county.level != AreaLevel.COUNTY:
        raise ValidationError(_("余额上限按县(市)设置。"))
    if balance_ceiling_fen <= 0:
        raise ValidationError(_("余额上限必须大于0。"))
    policy = CustodyPolicy.objects.select_for_update().filter(county=county).first()
    old = policy.balance_ceiling_fen if policy else rules.DEFAULT_BALANCE_CEILING_FEN
    policy, _created = CustodyPolicy.objects.update_or_create(
        county=county, defaults={"balance_ceiling_fen": balance_ceiling_fen, "changed_by": actor}
    )
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=policy, request=request,
                 details={"balance_ceiling_fen": [old, balance_ceiling_fen]})
    return policy
