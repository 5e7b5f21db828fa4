"""The early-warning rules, pure: defaults, the score and level of a set of signals, the
verification deadline. No database. docs/early-warning.md lists the same numbers.

A household's score is the sum of the weights of the *kinds* of signal it has in the window
(a kind counts once however often it recurs: a second 'living worse' visit does not double it).
The score's level is the highest threshold it reaches. A help request is 紧急 by itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services import rules as service_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")

ATTENTION, WARNING, URGENT = "attention", "warning", "urgent"

# Default weight of each signal kind (a county's WarningPolicy may override any of them).
DEFAULT_WEIGHTS: dict[str, int] = {
    "help_request": 100,  # the household asked itself: 紧急 on its own
    "health_critical": 60,  # 健康 worse than the previous visit and now 病重: 预警 on its own
    "health_worse": 40,  # 健康 worse than the previous visit (一般→较差)
    "poor_evaluation": 40,  # a custodian or caregiver rated 不合格
    "living_worse": 25,  # 食/衣/住/医 from 正常 to 有困难
    "safety_worse": 25,  # 房屋/水/电/气/暖 from 安全 to 有隐患
    "hazard_open": 30,  # a hazard finding open past its deadline
    "visit_gap": 30,  # no counted visit for longer than twice the tier's interval
    "referral_late": 30,  # a referral of the household past its deadline
    "need_repeated": 20,  # the same service need on two visits running, no referral since
    "wish_for_help": 20,  # the person's wishes ask for help (new since the previous visit)
    "custody_pattern": 25,  # 4+ custody withdrawals in 7 days, or 31 days with none while a caregiver draws daily
    "medical_cost": 30,  # 医保 list: a member's personal share of the year's costs ≥ 10,000 元
    "disability_change": 30,  # 残联 list: a member's disability grade differs from the roster's
    "death_in_household": 40,  # death list: a member died, others live on in the household
    "emergency": 20,  # an emergency covers the village: raises a household with other signals
}
DEFAULT_THRESHOLDS = {ATTENTION: 25, WARNING: 60, URGENT: 100}
# A signal counts this many days after it was observed.
DEFAULT_WINDOW_DAYS = 30
# Working days the township has to verify a 预警; hours for a 紧急.
WARNING_VERIFY_WORKING_DAYS = 3
URGENT_VERIFY_HOURS = 24


@dataclass(frozen=True)
class Policy:
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    attention_at: int = DEFAULT_THRESHOLDS[ATTENTION]
    warning_at: int = DEFAULT_THRESHOLDS[WARNING]
    urgent_at: int = DEFAULT_THRESHOLDS[URGENT]
    window_days: int = DEFAULT_WINDOW_DAYS

    def weight(self, kind: str) -> int:
        return self.weights.get(kind, DEFAULT_WEIGHTS.get(kind, 0))


DEFAULT_POLICY = Policy()


def score(kinds: Iterable[str], policy: Policy = DEFAULT_POLICY) -> int:
    return sum(policy.weight(k) for k in set(kinds))


def level_for(points: int, policy: Policy = DEFAULT_POLICY) -> str | None:
    if points >= policy.urgent_at:
        return URGENT
    if points >= policy.warning_at:
        return WARNING
    if points >= policy.attention_at:
        return ATTENTION
    return None


RANK = {None: 0, ATTENTION: 1, WARNING: 2, URGENT: 3}


def verify_by(level: str, raised_at: dt.datetime, calendar: service_rules.WorkCalendar) -> dt.datetime | None:
    """紧急: 24 hours after it was raised; 预警: the end of the 3rd working day after the day it
    was raised (holiday table); 关注: no date — it is verified at the next visit."""
    if level == URGENT:
        return raised_at + dt.timedelta(hours=URGENT_VERIFY_HOURS)
    if level == WARNING:
        day, _unknown = service_rules.working_days_after(
            raised_at.astimezone(SHANGHAI).date(), WARNING_VERIFY_WORKING_DAYS, calendar)
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    return None
