"""Every write of early warning: signals from the owning apps' rules, warnings from signals,
verification and escalation, door cards and help requests. Set-based where rows are many."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.areacodes import township_of
from accounts.models import AuditAction, Role, RoleAssignment, User
from accounts.notifications import SMS, Message, notify_many
from accounts.scoping import has_role, scope_queryset
from assistance import warning_signals as assistance_signals
from beneficiaries.display import household_label_expression
from beneficiaries.models import Household, HouseholdStatus, Pairing
from custody import warning_signals as custody_signals
from exchange import warning_signals as exchange_signals
from services import holidays
from services import warning_signals as services_signals
from visits import warning_signals as visits_signals

from . import rules
from .models import (
    LEVEL_RANK,
    CareWarning,
    DoorCard,
    HelpKind,
    HelpRequest,
    Signal,
    SignalKind,
    Verification,
    VerificationOutcome,
    WarningLevel,
    WarningPolicy,
)

# The signal rules of the apps that own the facts (each rule: (since, today) -> (sql, params)).
SIGNAL_RULES = [*visits_signals.SIGNAL_RULES, *services_signals.SIGNAL_RULES, *custody_signals.SIGNAL_RULES,
                *exchange_signals.SIGNAL_RULES, *assistance_signals.SIGNAL_RULES]


def _t(model) -> str:
    return model._meta.db_table


# --- signals ------------------------------------------------------------------------------------


def signals_refresh(*, since: dt.date, today: dt.date, household_ids: Sequence[int] | None = None) -> int:
    """Store the signals observed from `since` through `today` (one INSERT per rule; a signal
    already stored is skipped by its key), of every household or of those given. Returns how
    many are new."""
    created = 0
    where = "" if household_ids is None else "WHERE s.household_id = ANY(%(only)s)"
    with connection.cursor() as cur:
        for rule in SIGNAL_RULES:
            sql, params = rule(since, today)
            cur.execute(f"""
                INSERT INTO {_t(Signal)} (household_id, kind, observed_on, words, source, key, created_at)
                SELECT s.household_id, s.kind, s.observed_on, left(s.words, 200), s.source, s.key, %(now)s
                FROM ({sql}) s {where}
                ON CONFLICT (key) DO NOTHING""", {**params, "now": timezone.now(), "only": list(household_ids or [])})
            created += cur.rowcount
    return created


# --- policy ---------------------------------------------------------------------------------------


def policy_json(policy: rules.Policy) -> dict:
    return {"weights": {k: policy.weight(k) for k in SignalKind.values}, "attention": policy.attention_at,
            "warning": policy.warning_at, "urgent": policy.urgent_at, "window": policy.window_days}


def county_policies(today: dt.date) -> dict[str, rules.Policy]:
    """{county code: Policy} of the counties that set their own (latest effective on `today`)."""
    rows = (WarningPolicy.objects.filter(effective_on__lte=today).order_by("county_id", "-effective_on", "-id")
            .distinct("county_id"))
    return {p.county_id: rules.Policy(weights={**rules.DEFAULT_WEIGHTS, **p.weights}, attention_at=p.attention_at,
                                      warning_at=p.warning_at, urgent_at=p.urgent_at, window_days=p.window_days)
            for p in rows}


def policy_for(county_code: str, today: dt.date) -> rules.Policy:
    return county_policies(today).get(county_code, rules.DEFAULT_POLICY)


# --- warnings -------------------------------------------------------------------------------------


def _scores_sql(household_filter: str) -> str:
    """Each active household's score and level on %(today)s: the weights of the kinds of its
    signals inside its county's window, leaving out signals a verified warning already answered."""
    return f"""
        WITH live AS (
            SELECT s.household_id, s.kind, pol.p
            FROM {_t(Signal)} s
            JOIN {_t(Household)} h ON h.id = s.household_id
            CROSS JOIN LATERAL (SELECT COALESCE(%(policies)s::jsonb -> (left(h.village_id, 6) || '000000'),
                                                %(default)s::jsonb) AS p) pol
            WHERE h.status = %(active)s {household_filter}
              AND s.observed_on <= %(today)s AND s.observed_on > %(today)s - (pol.p ->> 'window')::int
              AND NOT EXISTS (SELECT 1 FROM {_t(CareWarning.signals.through)} ws
                              JOIN {_t(CareWarning)} w ON w.id = ws.carewarning_id
                              WHERE ws.signal_id = s.id AND w.verified_at IS NOT NULL)
            GROUP BY s.household_id, s.kind, pol.p
        ), scored AS (
            SELECT household_id, p, sum(COALESCE((p -> 'weights' ->> kind)::int, 0))::int AS score
            FROM live GROUP BY household_id, p
        )
        SELECT household_id, score,
               CASE WHEN score >= (p ->> 'urgent')::int THEN 'urgent'
                    WHEN score >= (p ->> 'warning')::int THEN 'warning'
                    WHEN score >= (p ->> 'attention')::int THEN 'attention' END AS level
        FROM scored WHERE score >= (p ->> 'attention')::int"""


def _score_params(today: dt.date) -> dict:
    return {"today": today, "active": HouseholdStatus.ACTIVE,
            "policies": json.dumps({c: policy_json(p) for c, p in county_policies(today).items()}),
            "default": json.dumps(policy_json(rules.DEFAULT_POLICY))}


def levels_on(today: dt.date, household_ids: Sequence[int] | None = None) -> dict[int, tuple[int, str]]:
    """{household id: (score, level)} of the households at 关注 or above on `today` (one statement)."""
    params = _score_params(today)
    where = ""
    if household_ids is not None:
        where, params["ids"] = "AND h.id = ANY(%(ids)s)", list(household_ids)
    with connection.cursor() as cur:
        cur.execute(_scores_sql(where), params)
        return {h: (score, level) for h, score, level in cur.fetchall()}


@dataclass
class RefreshResult:
    raised: int = 0
    heightened: int = 0


@transaction.atomic
def warnings_refresh(*, today: dt.date, now: dt.datetime | None = None,
                     household_ids: Sequence[int] | None = None) -> RefreshResult:
    """Raise or heighten the warnings the signals call for on `today`.

    1. score every active household (or those given) in one statement;
    2. a household without an open warning gets one at its level; an open warning whose level
       the score now exceeds is heightened (a new deadline from now); a warning never drops;
    3. link the live signals to the warning (one INSERT);
    4. tell the paired cadre and the township about every new or heightened 预警/紧急."""
    now = now or timezone.now()
    levels = levels_on(today, household_ids)
    if not levels:
        return RefreshResult()
    open_by_household = {w.household_id: w for w in CareWarning.objects.select_for_update()
                         .filter(household_id__in=list(levels), verified_at__isnull=True)}
    calendar = holidays.work_calendar(today.year, today.year + 1)
    new, heightened = [], []
    for household_id, (score, level) in levels.items():
        current = open_by_household.get(household_id)
        if current is None:
            new.append(CareWarning(household_id=household_id, level=level, score=score, raised_on=today, raised_at=now,
                                   verify_by=rules.verify_by(level, now, calendar)))
        elif LEVEL_RANK[level] > LEVEL_RANK[current.level] or score > current.score:
            if LEVEL_RANK[level] > LEVEL_RANK[current.level]:
                current.level, current.verify_by = level, rules.verify_by(level, now, calendar)
                heightened.append(current)
            current.score = score
            CareWarning.objects.filter(pk=current.pk).update(level=current.level, score=score,
                                                             verify_by=current.verify_by)
    CareWarning.objects.bulk_create(new)
    touched = [w.pk for w in new] + [w.pk for w in open_by_household.values()]
    _link_live_signals(touched, today)
    _tell([w for w in [*new, *heightened] if w.level != WarningLevel.ATTENTION])
    return RefreshResult(raised=len(new), heightened=len(heightened))


def _link_live_signals(warning_ids: list[int], today: dt.date) -> None:
    if not warning_ids:
        return
    params = _score_params(today)
    params["ids"] = warning_ids
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO {_t(CareWarning.signals.through)} (carewarning_id, signal_id)
            SELECT w.id, s.id FROM {_t(CareWarning)} w
            JOIN {_t(Household)} h ON h.id = w.household_id
            CROSS JOIN LATERAL (SELECT COALESCE(%(policies)s::jsonb -> (left(h.village_id, 6) || '000000'),
                                                %(default)s::jsonb) AS p) pol
            JOIN {_t(Signal)} s ON s.household_id = w.household_id
                 AND s.observed_on <= %(today)s AND s.observed_on > %(today)s - (pol.p ->> 'window')::int
            WHERE w.id = ANY(%(ids)s)
              AND NOT EXISTS (SELECT 1 FROM {_t(CareWarning.signals.through)} ws
                              JOIN {_t(CareWarning)} w2 ON w2.id = ws.carewarning_id
                              WHERE ws.signal_id = s.id AND w2.verified_at IS NOT NULL)
            ON CONFLICT DO NOTHING""", params)


def _cadre_users(household_ids: Iterable[int]) -> dict[int, int]:
    return dict(Pairing.objects.filter(household_id__in=list(household_ids), ended_on__isnull=True,
                                       cadre__user__isnull=False).values_list("household_id", "cadre__user_id"))


def _officials(role: str, area_codes: Iterable[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for area, user in RoleAssignment.objects.filter(role=role, area_id__in=set(area_codes)).values_list("area_id",
                                                                                                      "user_id"):
        out.setdefault(area, []).append(user)
    return out


def _tell(warnings: list[CareWarning]) -> None:
    """The paired cadre and the township officials of each warning, in one insert."""
    if not warnings:
        return
    households = list(Household.objects.filter(pk__in=[w.household_id for w in warnings]).annotate(
        label=household_label_expression()).values_list("pk", "village_id", "label"))
    villages = {pk: village for pk, village, _label in households}
    labels = {pk: label for pk, _village, label in households}
    cadres = _cadre_users(villages)
    township = _officials(Role.TOWNSHIP, {township_of(v) for v in villages.values()})
    messages = []
    for w in warnings:
        title = _("关爱预警（%(level)s）：%(household)s，请在期限内核查") % {
            "level": WarningLevel(w.level).label, "household": labels[w.household_id]}
        url = reverse("earlywarning:warning", args=[w.pk])
        users = set(township.get(township_of(villages[w.household_id]), []))
        if w.household_id in cadres:
            users.add(cadres[w.household_id])
        messages += [Message(u, f"care-warning:{w.pk}:{w.level}", title, w.household_id, url) for u in sorted(users)]
    notify_many(messages)


# --- verification and escalation -------------------------------------------------------------------


def can_verify(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.TOWNSHIP, Role.COUNTY)


@transaction.atomic
def warning_verify(*, actor: User, warning: CareWarning, outcome: str, reason: str, follow_up: str = "",
                   now: dt.datetime | None = None, request=None) -> Verification:
    """The township's verification: outcome and reason (and, when it helped, what followed).
    A conditional update makes a second verification a clear error."""
    if not can_verify(actor) or not scope_queryset(actor, CareWarning.objects.filter(pk=warning.pk)).exists():
        raise PermissionDenied(_("您没有核查该预警的权限。"))
    now = now or timezone.now()
    reason, follow_up = reason.strip(), follow_up.strip()
    if outcome not in VerificationOutcome.values:
        raise ValidationError({"outcome": _("请选择核查结果。")})
    if not reason:
        raise ValidationError({"reason": _("请填写核查说明。")})
    if outcome == VerificationOutcome.HELPED and not follow_up:
        raise ValidationError({"follow_up": _("已核实并帮扶时，请写明随后的转介、救助申请或走访。")})
    if CareWarning.objects.filter(pk=warning.pk, verified_at__isnull=True).update(verified_at=now) != 1:
        raise ValidationError(_("该预警已经核查过了。"))
    warning.refresh_from_db()
    verification = Verification.objects.create(
        warning=warning, outcome=outcome, reason=reason[:300], follow_up=follow_up[:200],
        in_time=warning.verify_by is None or now <= warning.verify_by, verified_by=actor, verified_at=now)
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=warning, request=request,
                 details={"verified": outcome, "reason": reason, "follow_up": follow_up,
                          "in_time": verification.in_time})
    return verification


@transaction.atomic
def warnings_escalate(*, now: dt.datetime | None = None) -> int:
    """Open warnings past their verification deadline go to the county (once each), as findings
    do: one UPDATE, then the county officials are told."""
    now = now or timezone.now()
    with connection.cursor() as cur:
        cur.execute(f"""
            UPDATE {_t(CareWarning)} w SET escalated_at = %(now)s,
                   escalated_to_id = left(h.village_id, 6) || '000000'
            FROM {_t(Household)} h
            WHERE h.id = w.household_id AND w.verified_at IS NULL AND w.escalated_at IS NULL
              AND w.verify_by < %(now)s
            RETURNING w.id, w.household_id, w.escalated_to_id""", {"now": now})
        rows = cur.fetchall()
    county = _officials(Role.COUNTY, {r[2] for r in rows})
    notify_many([Message(u, f"care-warning-escalated:{wid}", _("关爱预警超期未核查，已上报县民政"), hid,
                         reverse("earlywarning:warning", args=[wid]))
                 for wid, hid, code in rows for u in county.get(code, [])])
    return len(rows)


# --- the daily job ---------------------------------------------------------------------------------


@dataclass
class DailyResult:
    signals: int
    raised: int
    heightened: int
    escalated: int


def warnings_daily(*, today: dt.date, now: dt.datetime | None = None) -> DailyResult:
    """The nightly run: yesterday's and today's signals (a rerun stores nothing twice), the
    warnings they call for, and the escalation of warnings left unverified."""
    signals = signals_refresh(since=today - dt.timedelta(days=1), today=today)
    result = warnings_refresh(today=today, now=now)
    escalated = warnings_escalate(now=now)
    return DailyResult(signals, result.raised, result.heightened, escalated)


def on_new_facts(*, households, today: dt.date, **_payload) -> None:
    """A visit was recorded or the roster changed: the signals of today for those households
    and their warnings at once, not only at night."""
    ids = list(households.values_list("pk", flat=True))
    signals_refresh(since=today - dt.timedelta(days=rules.DEFAULT_WINDOW_DAYS), today=today, household_ids=ids)
    warnings_refresh(today=today, household_ids=ids)


# --- door cards and help requests --------------------------------------------------------------------


def can_issue_cards(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY)


@transaction.atomic
def door_card_issue(*, actor: User, household: Household, request=None) -> DoorCard:
    """A new door card for the household; the old one (if any) is revoked: a lost or copied card
    opens nothing once reprinted."""
    if not can_issue_cards(actor):
        raise PermissionDenied(_("您没有制发爱心牌的权限。"))
    now = timezone.now()
    DoorCard.objects.filter(household=household, revoked_at__isnull=True).update(revoked_at=now)
    card = DoorCard.objects.create(household=household, token=secrets.token_urlsafe(16), issued_at=now,
                                   issued_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=card, request=request,
                 details={"household": household.code})
    return card


@transaction.atomic
def door_card_revoke(*, actor: User, card: DoorCard, request=None) -> None:
    if not can_issue_cards(actor):
        raise PermissionDenied(_("您没有制发爱心牌的权限。"))
    if DoorCard.objects.filter(pk=card.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()) != 1:
        raise ValidationError(_("该爱心牌已经作废。"))
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=card, request=request, details={"revoked": True})


@transaction.atomic
def help_request_submit(*, card: DoorCard, kinds: list[str], text: str = "", callback_phone: str = "",
                        now: dt.datetime | None = None) -> HelpRequest:
    """A help request from the door card's public page. It is stored with a 紧急 signal and the
    household's warning is raised at once; the paired cadre and the township are told."""
    now = now or timezone.now()
    kinds = [k for k in dict.fromkeys(kinds) if k in HelpKind.values]
    if not kinds:
        raise ValidationError({"kinds": _("请至少选择一项需要的帮助。")})
    if DoorCard.objects.filter(pk=card.pk, revoked_at__isnull=True).count() != 1:
        raise ValidationError(_("该爱心牌已作废，请联系村委会。"))
    household = card.household
    help_request = HelpRequest.objects.create(card=card, household=household, kinds=kinds, text=text.strip()[:300],
                                              callback_phone=callback_phone.strip()[:20], created_at=now)
    today = timezone.localtime(now).date()
    labels = "、".join(str(HelpKind(k).label) for k in kinds)
    Signal.objects.create(household=household, kind=SignalKind.HELP_REQUEST, observed_on=today,
                          words=_("一键求助：%(what)s（%(when)s）") % {"what": labels, "when": f"{today.month}月{today.day}日"},
                          source=_("爱心牌"), key=f"help_request:{help_request.pk}")
    warnings_refresh(today=today, now=now, household_ids=[household.pk])
    _tell_help_request(help_request)
    audit_record(actor=None, action=AuditAction.CREATE, obj=help_request, details={"household": household.code,
                                                                                    "kinds": kinds})
    return help_request


def _tell_help_request(help_request: HelpRequest) -> None:
    village = help_request.household.village_id
    users = set(_officials(Role.TOWNSHIP, [township_of(village)]).get(township_of(village), []))
    users |= set(_cadre_users([help_request.household_id]).values())
    url = reverse("earlywarning:help_request", args=[help_request.pk])
    notify_many([Message(u, f"help-request:{help_request.pk}", _("一键求助：请尽快联系该户"), help_request.household_id,
                         url, (SMS,)) for u in sorted(users)])


def can_close_help(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.CADRE, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY)


@transaction.atomic
def help_request_close(*, actor: User, help_request: HelpRequest, outcome: str, request=None) -> HelpRequest:
    if not can_close_help(actor):
        raise PermissionDenied(_("您没有办结求助的权限。"))
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": _("请写明做了什么。")})
    if HelpRequest.objects.filter(pk=help_request.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=actor, outcome=outcome[:300]) != 1:
        raise ValidationError(_("该求助已经办结。"))
    help_request.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.CHANGE, obj=help_request, request=request,
                 details={"closed": outcome})
    return help_request





# --- a county's weights and thresholds --------------------------------------------------------------


@transaction.atomic
def warning_policy_set(*, actor: User, weights: dict[str, int], attention_at: int, warning_at: int, urgent_at: int,
                       window_days: int, effective_on: dt.date, reason: str, request=None) -> WarningPolicy:
    """A county's civil affairs office sets its own weights and thresholds from a date (its own
    county only). Kinds whose weight equals the default are not stored: the default applies."""
    county = next((r.area for r in actor.roles.select_related("area") if r.role == Role.COUNTY and r.area), None)
    if county is None:
        raise PermissionDenied(_("只有县(市)民政部门可以设置本县的预警规则。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写调整理由。")})
    overrides = {k: int(v) for k, v in weights.items() if k in SignalKind.values and int(v) != rules.DEFAULT_WEIGHTS.get(k)}
    previous = policy_for(county.code, effective_on)
    policy = WarningPolicy(county=county, weights=overrides, attention_at=attention_at, warning_at=warning_at,
                           urgent_at=urgent_at, window_days=window_days, effective_on=effective_on,
                           reason=reason.strip(), set_by=actor)
    if not (0 < attention_at < warning_at < urgent_at):
        raise ValidationError(_("阈值须从关注、预警到紧急依次增大。"))
    policy.full_clean()
    policy.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=policy, request=request,
                 details={"old": policy_json(previous), "new": policy_json(policy_for(county.code, effective_on)),
                          "reason": reason.strip()})
    return policy
