"""The visit schedule of SPEC §5(2) and §7, as pure functions of dates. No database.

Every function takes `today` (an Asia/Shanghai calendar date) so the daily job, reports and
tests can ask "what was true on date D" and get a reproducible answer.

Decisions where the policy is silent (documented in docs/visits.md):
- "paused days that fall before it" counts paused days after the last counted visit up to and
  including the due date, repeated until stable, so a due date never lands on a paused day;
- an open-ended pause (no end date yet) means no due date at all until it ends;
- days before the clock start count as paused for the monthly minimum (a household paired on
  the 20th is not expected to have three visits that month);
- "at risk": following the schedule (a visit on each due date, from today if overdue), fewer
  visits than still needed fall inside the month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Day = dt.date
ONE_DAY = dt.timedelta(days=1)

# Days before the due date at which a household shows as 即将到期.
DUE_SOON_DAYS = 3
# A visit entered more than this many days after it happened needs a reason (补录说明).
LATE_ENTRY_GRACE_DAYS = 1
# Overdue escalations: to the township after 7 days, to the county after 30 (§7).
ESCALATE_TOWNSHIP_DAYS = 7
ESCALATE_COUNTY_DAYS = 30


@dataclass(frozen=True)
class TierPolicy:
    interval_days: int
    monthly_minimum: int


DEFAULT_POLICY: dict[str, TierPolicy] = {
    "A": TierPolicy(10, 3),
    "B": TierPolicy(15, 2),
    "C": TierPolicy(30, 1),
}


@dataclass(frozen=True)
class Period:
    """A closed range of dates [start, end]; `end` None means open-ended (still running)."""

    start: Day
    end: Day | None = None

    def contains(self, day: Day) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class TierChange:
    on: Day
    tier: str


@dataclass(frozen=True)
class History:
    """What the rules need to know about one household."""

    tier_changes: Sequence[TierChange]  # confirmed tiers with their effective dates, any order
    counted_visits: Sequence[Day]  # dates of counted visits, any order, duplicates allowed
    pauses: Sequence[Period] = ()
    clock_start: Day | None = None

    def tier_on(self, day: Day) -> str | None:
        held = None
        for change in sorted(self.tier_changes, key=lambda c: c.on):
            if change.on <= day:
                held = change.tier
        return held


def clock_start(pairing_starts: Iterable[Day], tier_confirmed: Iterable[Day]) -> Day | None:
    """The later of the first pairing start and the first tier confirmation (§7); a change of
    cadre does not reset the clock, so it is the *first* pairing that counts."""
    pairing = min(pairing_starts, default=None)
    confirmed = min(tier_confirmed, default=None)
    if pairing is None:
        return confirmed
    if confirmed is None:
        return pairing
    return max(pairing, confirmed)


def paused_days(pauses: Iterable[Period], after: Day, through: Day) -> int | None:
    """Paused days in (after, through]; None when an open-ended pause has started by `through`."""
    total = 0
    for p in pauses:
        if p.end is None:
            if p.start <= through:
                return None
            continue
        lo = max(p.start, after + ONE_DAY)
        hi = min(p.end, through)
        if hi >= lo:
            total += (hi - lo).days + 1
    return total


def _shifted(base: Day, interval: int, pauses: Sequence[Period]) -> Day | None:
    """base + interval, moved later by the paused days that fall after base up to it."""
    due = base + dt.timedelta(days=interval)
    for _ in range(400):  # stable after a few rounds; the bound only guards bad data
        shift = paused_days(pauses, base, due)
        if shift is None:
            return None
        new_due = base + dt.timedelta(days=interval + shift)
        if new_due == due:
            return due
        due = new_due
    return due


def next_due(history: History, policy: dict[str, TierPolicy], today: Day) -> Day | None:
    """The date the next counted visit is due, or None (no tier, no clock start, or paused
    with no end date).

    1. Start from the last counted visit on or before today, else the clock start.
    2. Due = start + the interval of the tier held on that date, moved by paused days.
    3. Each tier change after the start offers change date + new interval (moved likewise);
       the earliest candidate wins (§7 "the earlier of").
    """
    visits = [d for d in history.counted_visits if d <= today]
    base = max(visits) if visits else history.clock_start
    if base is None:
        return None
    tier = history.tier_on(base)
    candidates: list[Day | None] = []
    if tier in policy:
        candidates.append(_shifted(base, policy[tier].interval_days, history.pauses))
    for change in history.tier_changes:
        if change.on > base and change.tier in policy:
            candidates.append(_shifted(change.on, policy[change.tier].interval_days, history.pauses))
    if not candidates or any(c is None for c in candidates):
        return None
    return min(candidates)


def overdue_days(due: Day | None, today: Day) -> int:
    """0 on and before the due date; n on the n-th day after it."""
    if due is None or today <= due:
        return 0
    return (today - due).days


def month_bounds(day: Day) -> tuple[Day, Day]:
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return first, last


def previous_month(day: Day) -> Day:
    """The first day of the month before `day`'s month."""
    return (day.replace(day=1) - ONE_DAY).replace(day=1)


def active_days(month: Day, pauses: Iterable[Period], clock_start: Day | None = None) -> int:
    """Days of `month` not paused (and not before the clock start)."""
    first, last = month_bounds(month)
    pauses = list(pauses)
    days = 0
    day = first
    while day <= last:
        if (clock_start is None or day >= clock_start) and not any(p.contains(day) for p in pauses):
            days += 1
        day += ONE_DAY
    return days


def monthly_minimum(minimum: int, active: int, days_in_month: int) -> int:
    """ceil(minimum × active days ÷ days in month), in exact integer arithmetic."""
    return math.ceil(minimum * active / days_in_month) if active > 0 else 0


def counted_in_month(visits: Iterable[Day], month: Day, through: Day | None = None) -> int:
    """Distinct days with a counted visit in `month` (several on one day count once)."""
    first, last = month_bounds(month)
    if through is not None:
        last = min(last, through)
    return len({d for d in visits if first <= d <= last})


@dataclass(frozen=True)
class MonthStatus:
    month: Day
    counted: int
    minimum: int

    @property
    def shortfall(self) -> int:
        return max(0, self.minimum - self.counted)


def month_status(history: History, policy: dict[str, TierPolicy], month: Day, today: Day) -> MonthStatus | None:
    """Counted visits vs the pro-rated minimum of `month`. The minimum is the one of the tier held
    at the month's end, or on `today` for the current month (§7)."""
    first, last = month_bounds(month)
    as_of = min(last, today)
    tier = history.tier_on(as_of)
    if tier not in policy:
        return None
    active = active_days(first, history.pauses, history.clock_start)
    return MonthStatus(
        month=first,
        counted=counted_in_month(history.counted_visits, first, through=today),
        minimum=monthly_minimum(policy[tier].monthly_minimum, active, last.day),
    )


def at_risk(status: MonthStatus | None, due: Day | None, interval: int | None, today: Day) -> bool:
    """The visits still needed this month no longer fit before the month ends when visits follow
    the interval (one on each due date, starting today if overdue)."""
    if status is None or status.shortfall == 0 or interval is None or interval <= 0:
        return False
    _, last = month_bounds(today)
    if due is None:
        return False
    first_visit = max(due, today)
    if first_visit > last:
        return True
    fit = (last - first_visit).days // interval + 1
    return fit < status.shortfall


def is_late_entry(visited_on: Day, today: Day) -> bool:
    return (today - visited_on).days > LATE_ENTRY_GRACE_DAYS


def entry_day(captured_on: Day | None, received_on: Day) -> Day:
    """The day a visit was written down, for the late-entry rule: the device's capture day when
    there is one and it is not after arrival (an outbox delivers days later; a device clock set
    in the future is not believed), else the day it arrived."""
    if captured_on is not None and captured_on <= received_on:
        return captured_on
    return received_on


@dataclass(frozen=True)
class Schedule:
    """Everything a list shows about one household's schedule on `today`."""

    tier: str | None
    next_due: Day | None
    overdue_days: int
    due_soon: bool
    month: MonthStatus | None
    at_risk: bool
    last_counted: Day | None

    @property
    def is_overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def progress(self) -> str:
        return f"{self.month.counted}/{self.month.minimum}" if self.month else ""


def schedule(history: History, policy: dict[str, TierPolicy], today: Day) -> Schedule:
    tier = history.tier_on(today)
    visits = [d for d in history.counted_visits if d <= today]
    return schedule_of(
        tier=tier,
        due=next_due(history, policy, today),
        month=month_status(history, policy, today, today),
        interval=policy[tier].interval_days if tier in policy else None,
        last_counted=max(visits) if visits else None,
        today=today,
    )


def schedule_of(*, tier: str | None, due: Day | None, month: MonthStatus | None, interval: int | None,
                last_counted: Day | None, today: Day) -> Schedule:
    """The Schedule from its parts (computed by the rules above, or the same rules in SQL:
    visits.queries.month_schedules_sql)."""
    return Schedule(
        tier=tier,
        next_due=due,
        overdue_days=overdue_days(due, today),
        due_soon=due is not None and 0 <= (due - today).days <= DUE_SOON_DAYS,
        month=month,
        at_risk=at_risk(month, due, interval, today),
        last_counted=last_counted,
    )


# --- "为什么": the due date explained -------------------------------------------------------------


@dataclass(frozen=True)
class DueStep:
    """One candidate due date: from which day, which tier's interval, the paused days it moved by."""

    base: Day
    base_kind: str  # "visit" (last counted visit), "clock" (clock start) or "tier_change"
    tier: str
    interval_days: int
    paused: int | None  # None: an open-ended pause stops the clock
    due: Day | None


@dataclass(frozen=True)
class DueExplanation:
    today: Day
    last_counted: Day | None
    clock_start: Day | None
    steps: tuple[DueStep, ...]
    pauses: tuple[Period, ...]
    due: Day | None


def explain_next_due(history: History, policy: dict[str, TierPolicy], today: Day) -> DueExplanation:
    """The inputs and steps of `next_due` (the same rule, step by step, for the "为什么" page):
    it must give the same date, which tests/visits/test_why.py checks."""
    visits = [d for d in history.counted_visits if d <= today]
    last = max(visits) if visits else None
    base = last or history.clock_start
    steps: list[DueStep] = []
    if base is not None:
        tier = history.tier_on(base)
        if tier in policy:
            due = _shifted(base, policy[tier].interval_days, history.pauses)
            steps.append(DueStep(base, "visit" if last else "clock", tier, policy[tier].interval_days,
                                 None if due is None else (due - base).days - policy[tier].interval_days, due))
        for change in sorted(history.tier_changes, key=lambda c: c.on):
            if change.on > base and change.tier in policy:
                due = _shifted(change.on, policy[change.tier].interval_days, history.pauses)
                steps.append(DueStep(change.on, "tier_change", change.tier, policy[change.tier].interval_days,
                                     None if due is None else (due - change.on).days
                                     - policy[change.tier].interval_days, due))
    relevant = tuple(p for p in history.pauses if base is not None and (p.end is None or p.end > base))
    return DueExplanation(today=today, last_counted=last, clock_start=history.clock_start, steps=tuple(steps),
                          pauses=relevant, due=next_due(history, policy, today))
