"""Pure rules of referrals and the §4 lists: no database, `today`/`now` passed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

from .models import ReferralAction, ReferralStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")

S = ReferralStatus
# Legal moves: the department accepts or declines what it receives; an accepted case is worked
# on and resolved (a simple one at once), or declined after examination. Resolved and declined
# are final.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.SUBMITTED: {S.ACCEPTED: ReferralAction.ACCEPT, S.DECLINED: ReferralAction.DECLINE},
    S.ACCEPTED: {S.IN_PROGRESS: ReferralAction.START, S.RESOLVED: ReferralAction.RESOLVE,
                 S.DECLINED: ReferralAction.DECLINE},
    S.IN_PROGRESS: {S.RESOLVED: ReferralAction.RESOLVE, S.DECLINED: ReferralAction.DECLINE},
    S.RESOLVED: {},
    S.DECLINED: {},
}

URGENT_HOURS = 24


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, {})


@dataclass(frozen=True)
class WorkCalendar:
    """The holiday tables (节假日安排) of the years in `years`: `off` are holidays (放假), `on` are
    make-up working days (调休上班) on a weekend. Any other day is a working day Monday to Friday.
    Built from the database by services.holidays.work_calendar()."""

    years: frozenset[int] = frozenset()
    off: frozenset[dt.date] = frozenset()
    on: frozenset[dt.date] = frozenset()

    def knows(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.on:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    # True when a day it counted lies in a year without a holiday table: Mon–Fri was assumed.
    provisional: bool = False
    unknown_years: frozenset[int] = frozenset()


def is_workday(day: dt.date, calendar: WorkCalendar | None = None) -> bool:
    """A working day in mainland China: statutory holidays are off, make-up Saturdays and
    Sundays (调休) are on. With a `calendar`, its tables decide (Mon–Fri in years it lacks);
    without one the chinesecalendar package does (Mon–Fri in years it does not know)."""
    if calendar is not None:
        return calendar.is_workday(day)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def working_days_after(start: dt.date, days: int, calendar: WorkCalendar) -> tuple[dt.date, frozenset[int]]:
    """The `days`-th working day after `start` (not counted) by `calendar`, and the years of the
    days counted that the calendar has no table for (empty: the result is certain)."""
    if days < 1:
        raise ValueError("days must be positive")
    day, left, unknown = start, days, set()
    while left:
        day += dt.timedelta(days=1)
        if not calendar.knows(day):
            unknown.add(day.year)
        if calendar.is_workday(day):
            left -= 1
    return day, frozenset(unknown)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (the start day itself is not counted)."""
    if days < 1:
        raise ValueError("days must be positive")
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def due_at(*, submitted_at: dt.datetime, deadline_days: int, urgent: bool) -> dt.datetime:
    """When a referral must be handled: 24 hours after submission when urgent; otherwise the end
    of the `deadline_days`-th working day after the day it was submitted (Asia/Shanghai)."""
    if urgent:
        return submitted_at + dt.timedelta(hours=URGENT_HOURS)
    local_day = submitted_at.astimezone(SHANGHAI).date()
    last = add_working_days(local_day, deadline_days)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=SHANGHAI)


def deadline(*, submitted_at: dt.datetime, deadline_days: int, urgent: bool, calendar: WorkCalendar) -> Deadline:
    """due_at() by the holiday tables of `calendar`; provisional when it had to assume Mon–Fri."""
    if urgent:
        return Deadline(submitted_at + dt.timedelta(hours=URGENT_HOURS))
    local_day = submitted_at.astimezone(SHANGHAI).date()
    last, unknown = working_days_after(local_day, deadline_days, calendar)
    due = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=SHANGHAI)
    return Deadline(due, provisional=bool(unknown), unknown_years=unknown)


def is_overdue(*, status: str, due: dt.datetime, now: dt.datetime) -> bool:
    return status in (S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS) and now >= due


# --- §4 lists ------------------------------------------------------------------------------

# School stages by age on the day (§4(3)); ages in whole years.
STAGES: list[tuple[str, str, int, int]] = [
    ("preschool", "学前教育", 3, 5),
    ("compulsory", "义务教育", 6, 14),
    ("senior", "高中教育", 15, 17),
    ("higher", "高等教育", 18, 22),
]
STAGE_LABELS = {code: label for code, label, _lo, _hi in STAGES}
# Tier A: aid at every stage; tiers B and C: compulsory-education waivers only.
AID_STAGES = {"A": ("preschool", "compulsory", "senior", "higher"), "B": ("compulsory",), "C": ("compulsory",)}
AID_TEXT = {
    "A": "学前至高等教育各阶段学生资助",
    "B": "义务教育阶段免除学杂费、教材费",
    "C": "义务教育阶段免除学杂费、教材费",
}


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def school_stage(birth: dt.date, today: dt.date) -> str | None:
    age = age_on(birth, today)
    for code, _label, lo, hi in STAGES:
        if lo <= age <= hi:
            return code
    return None


def years_before(today: dt.date, years: int) -> dt.date:
    """The same calendar day `years` years earlier (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def birth_range(today: dt.date, min_age: int, max_age: int) -> tuple[dt.date, dt.date]:
    """Birth dates (inclusive) of people aged min_age..max_age on `today`."""
    latest = years_before(today, min_age)
    earliest = years_before(today, max_age + 1) + dt.timedelta(days=1)
    return earliest, latest


def education_birth_range(tier: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    stages = [s for s in STAGES if s[0] in AID_STAGES.get(tier, ())]
    if not stages:
        return None
    return birth_range(today, min(s[2] for s in stages), max(s[3] for s in stages))


# Working age for employment registration (§4(7)).
WORKING_AGE = (16, 59)


def winter_season(today: dt.date) -> int:
    """The winter–spring season a date belongs to, named by the year the winter starts:
    November–December of Y and January–October of Y+1 count to the nearest past winter."""
    return today.year if today.month >= 11 else today.year - 1
