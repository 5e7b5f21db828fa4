"""Working days after 2026 (docs/holidays.md): the holiday tables (节假日安排) the prefecture bureau
keeps, the referral deadline computed from them, the warning when a year is missing, and the
import of the State Council's yearly notice in a simple text format.

Text format, one line per holiday or make-up working day (or run of days); blank lines and lines
starting with # are ignored; fields separated by a comma (, or ，) or a tab:

    名称,开始日期,结束日期,放假|上班
    春节,2027-02-05,2027-02-13,放假
    春节,2027-02-20,,上班

The end date may be empty (one day). Every date must lie in the year being entered. Saving a
year replaces its whole table, in one transaction; any bad line refuses the whole text and each
bad line is reported with its number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import AuditAction, Role, User
from accounts.scoping import has_role

from . import rules
from .models import HolidayDay, HolidayDayKind, HolidayYear, Referral, ReferralStatus

KIND_WORDS = {"放假": HolidayDayKind.OFF, "休": HolidayDayKind.OFF, "上班": HolidayDayKind.WORK, "班": HolidayDayKind.WORK}
KIND_TEXT = {HolidayDayKind.OFF: "放假", HolidayDayKind.WORK: "上班"}
MAX_RUN_DAYS = 15  # the longest holiday run in a notice is 8–9 days
SEPARATORS = re.compile(r"[,，\t]")
CHINESECALENDAR_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


# --- the calendar and the deadline ---------------------------------------------------------


def work_calendar(first_year: int, last_year: int) -> rules.WorkCalendar:
    """The holiday tables of first_year..last_year as a rules.WorkCalendar (two small queries)."""
    years = frozenset(HolidayYear.objects.filter(year__gte=first_year, year__lte=last_year)
                      .values_list("year", flat=True))
    days = HolidayDay.objects.filter(year_id__in=years).values_list("day", "kind")
    return rules.WorkCalendar(
        years=years,
        off=frozenset(d for d, k in days if k == HolidayDayKind.OFF),
        on=frozenset(d for d, k in days if k == HolidayDayKind.WORK),
    )


def referral_deadline(*, submitted_at: dt.datetime, deadline_days: int, urgent: bool) -> rules.Deadline:
    """The deadline of a referral by the holiday tables. When it had to assume Mon–Fri for a year
    without a table, the prefecture bureau is warned (once per year) and it is provisional."""
    start = submitted_at.astimezone(rules.SHANGHAI).date()
    # 60 working days (the longest time limit) never reach further than the next year.
    calendar = work_calendar(start.year, start.year + 1)
    deadline = rules.deadline(submitted_at=submitted_at, deadline_days=deadline_days, urgent=urgent,
                              calendar=calendar)
    for year in sorted(deadline.unknown_years):
        warn_missing_year(year)
    return deadline


def notify_bureau(*, key: str, title: str, url: str) -> None:
    """Tell the prefecture bureau (every prefecture role) once per key."""
    from accounts.models import RoleAssignment
    from accounts.notifications import notify

    users = RoleAssignment.objects.filter(role=Role.PREFECTURE).values_list("user_id", flat=True)
    notify(set(users), key=key[:80], title=title[:200], url=url[:200])


def warn_missing_year(year: int) -> None:
    notify_bureau(
        key=f"holiday-year-missing:{year}",
        title=_("%(year)s 年节假日安排尚未录入，转介办理期限暂按周一至周五计算（暂定），请尽快录入")
        % {"year": year},
        url=reverse("services:holiday_year", args=[year]),
    )


# --- editing a year ------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRun:
    name: str
    first: dt.date
    last: dt.date
    kind: str

    @property
    def count(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def kind_label(self) -> str:
        return KIND_TEXT[self.kind]

    def days(self) -> Iterable[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


def _date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_notice(year: int, text: str) -> list[DayRun]:
    """Parse the text format (module docstring). Raises ValidationError listing every bad line."""
    runs: list[DayRun] = []
    errors: list[str] = []
    seen: dict[dt.date, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in SEPARATORS.split(line)]
        if len(parts) != 4:
            errors.append(_("第%(n)d行：应为“名称,开始日期,结束日期,放假或上班”四项，实为 %(k)d 项。")
                          % {"n": number, "k": len(parts)})
            continue
        name, first_text, last_text, kind_text = parts
        first = _date(first_text)
        last = _date(last_text) if last_text else first
        kind = KIND_WORDS.get(kind_text)
        problems = []
        if not name or len(name) > 40:
            problems.append(_("名称应为1至40个字"))
        if first is None:
            problems.append(_("开始日期“%(v)s”无效（格式 2027-02-05）") % {"v": first_text})
        if last is None:
            problems.append(_("结束日期“%(v)s”无效（格式 2027-02-13）") % {"v": last_text})
        if kind is None:
            problems.append(_("第四项应为“放假”或“上班”，实为“%(v)s”") % {"v": kind_text})
        if first and last:
            if last < first:
                problems.append(_("结束日期早于开始日期"))
            elif (last - first).days >= MAX_RUN_DAYS:
                problems.append(_("一段假期不能超过%(d)d天") % {"d": MAX_RUN_DAYS})
            if first.year != year or last.year != year:
                problems.append(_("日期不在%(y)d年内") % {"y": year})
        if problems:
            errors.append(_("第%(n)d行：") % {"n": number} + "；".join(problems) + "。")
            continue
        run = DayRun(name=name, first=first, last=last, kind=kind)
        clashes = sorted({seen[d] for d in run.days() if d in seen})
        if clashes:
            errors.append(_("第%(n)d行：与第%(m)s行的日期重复。") % {"n": number, "m": "、".join(map(str, clashes))})
            continue
        for d in run.days():
            seen[d] = number
        if kind == HolidayDayKind.WORK:
            weekdays = [d for d in run.days() if d.weekday() < 5]
            if weekdays:
                errors.append(_("第%(n)d行：调休上班日应为周六或周日，%(d)s 是工作日。") % {"n": number, "d": weekdays[0]})
                continue
        runs.append(run)
    if not errors and not runs:
        errors.append(_("没有任何节假日安排，请粘贴或上传通知内容。"))
    if errors:
        raise ValidationError(errors)
    return runs


def runs_of(year: int) -> list[DayRun]:
    """A year's table as runs: consecutive days of one name and kind joined."""
    runs: list[DayRun] = []
    for day, kind, name in HolidayDay.objects.filter(year_id=year).order_by("day").values_list("day", "kind", "name"):
        last = runs[-1] if runs else None
        if last and (day - last.last).days == 1 and last.name == name and last.kind == kind:
            runs[-1] = DayRun(name=name, first=last.first, last=day, kind=kind)
        else:
            runs.append(DayRun(name=name, first=day, last=day, kind=kind))
    return runs


def notice_text(year: int) -> str:
    """A year's table in the text format, ready to edit."""
    return "\n".join(
        ",".join([r.name, f"{r.first:%Y-%m-%d}", f"{r.last:%Y-%m-%d}" if r.last != r.first else "", KIND_TEXT[r.kind]])
        for r in runs_of(year)
    )


def can_edit(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.PREFECTURE)


def can_view(user: User) -> bool:
    return user.is_superuser or has_role(user, Role.PREFECTURE, Role.COUNTY)


@transaction.atomic
def year_save(*, actor: User, year: int, text: str, source: str, request=None) -> tuple[HolidayYear, int]:
    """Replace a year's holiday table from the text format; then recompute the provisional
    deadlines of open referrals. Returns the year and how many deadlines were recomputed."""
    if not can_edit(actor):
        raise ValidationError(_("只有州民政局可以录入节假日安排。"))
    if not 2000 <= year <= 2100:
        raise ValidationError(_("年份应在2000至2100之间。"))
    source = source.strip()
    if not source:
        raise ValidationError({"source": _("请填写依据（如国务院办公厅通知的文号）。")})
    runs = parse_notice(year, text)
    before = HolidayDay.objects.filter(year_id=year).count()
    holiday_year, _created = HolidayYear.objects.update_or_create(
        year=year, defaults={"source": source[:200], "entered_by": actor})
    HolidayDay.objects.filter(year_id=year).delete()
    HolidayDay.objects.bulk_create([HolidayDay(day=d, year=holiday_year, kind=r.kind, name=r.name)
                                    for r in runs for d in r.days()])
    recomputed = provisional_deadlines_refresh()
    audit_record(actor=actor, action=AuditAction.CHANGE, object_type="services.holidayyear", object_id=str(year),
                 object_repr=_("%(y)s 年节假日安排") % {"y": year}, request=request,
                 details={"source": source, "days_before": before,
                          "days": sum(1 for r in runs for _d in r.days()), "recomputed_deadlines": recomputed})
    return holiday_year, recomputed


def provisional_deadlines_refresh() -> int:
    """Recompute the deadline of every open, provisional referral (a handful at most)."""
    changed = 0
    open_statuses = [ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS]
    for referral in (Referral.objects.filter(due_provisional=True, status__in=open_statuses)
                     .select_related("field").select_for_update(of=("self",))):
        deadline = referral_deadline(submitted_at=referral.submitted_at,
                                     deadline_days=referral.field.deadline_days, urgent=referral.urgent)
        Referral.objects.filter(pk=referral.pk).update(due_at=deadline.due_at, due_provisional=deadline.provisional)
        changed += 1
    return changed


def seed_from_chinesecalendar(year_model=HolidayYear, day_model=HolidayDay) -> int:
    """Tables for the years the chinesecalendar package knows and the database does not have yet
    (idempotent; used by migration 0006 and after tests flush the database). Returns years added."""
    import chinese_calendar

    version = getattr(chinese_calendar, "__version__", "")
    days = [(d, HolidayDayKind.OFF.value, n) for d, n in chinese_calendar.holidays.items()]
    days += [(d, HolidayDayKind.WORK.value, n) for d, n in chinese_calendar.workdays.items()]
    years = sorted({d.year for d, _k, _n in days})
    known = set(year_model.objects.filter(year__in=years).values_list("year", flat=True))
    new = [y for y in years if y not in known]
    year_model.objects.bulk_create([year_model(year=y, source=f"chinesecalendar {version}".strip()) for y in new])
    day_model.objects.bulk_create(
        [day_model(day=d, year_id=d.year, kind=kind, name=CHINESECALENDAR_NAMES.get(name, name)[:40])
         for d, kind, name in days if d.year in new],
        ignore_conflicts=True,
    )
    return len(new)
