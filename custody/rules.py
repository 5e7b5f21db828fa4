"""Pure rules of fund custody (SPEC §5(3), §4(10)): no database, dates passed in as `today`.

Each check returns the list of every unmet condition as a Chinese sentence, so a form can show
all of them at once and a test can name each one.
"""

from __future__ import annotations

import calendar
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from beneficiaries.idnumber import age_on, normalize

# A balance above this is flagged unless the county set its own ceiling (CustodyPolicy).
DEFAULT_BALANCE_CEILING_FEN = 2_000_000  # 20 000 元
CHECK_INTERVAL_MONTHS = 3  # 定期检查: flagged when the last check is older than this
NO_DEPOSIT_MONTHS = 2  # flagged when no deposit arrived for this long
LARGE_WITHDRAWAL_MONTHS = 2  # a withdrawal above the deposits of this many months before it
RECENT_MONTHS = 3  # withdrawal flags look at withdrawals of this many recent months
ADULT_AGE = 18
YUAN_PATTERN = re.compile(r"^(?P<whole>[0-9]{1,10})(?:\.(?P<part>[0-9]{1,2}))?$")

ELIGIBLE_TIERS = frozenset({"A", "B"})
ELIGIBLE_CAPACITY = frozenset({"none", "limited"})


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def is_minor(birth_date: date, on: date) -> bool:
    return age_on(birth_date, on) < ADULT_AGE


# --- eligibility of a person for a custody account ------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    name: str
    tier: str
    household_active: bool
    civil_capacity: str
    guardian_name: str
    guardian_can_act: bool | None


def eligibility_errors(facts: PersonFacts) -> list[str]:
    """Why this person may not have a custody account (empty list: eligible).

    Policy 五(三): tier A or B; no (or limited) civil capacity; no guardian, or a guardian who
    cannot perform the duties."""
    errors = []
    if not facts.household_active:
        errors.append(_("%(name)s 所在家庭已退出关爱名单，不能开设代管账户。") % {"name": facts.name})
    if facts.tier not in ELIGIBLE_TIERS:
        errors.append(
            _("%(name)s 所在家庭类别为“%(tier)s”，保障资金代管只适用于A类、B类群体。")
            % {"name": facts.name, "tier": facts.tier or _("未认定")}
        )
    if facts.civil_capacity not in ELIGIBLE_CAPACITY:
        errors.append(
            _("%(name)s 具有完全民事行为能力，保障资金代管只适用于无民事行为能力或限制民事行为能力人员。")
            % {"name": facts.name}
        )
    if facts.guardian_name.strip():
        if facts.guardian_can_act is None:
            errors.append(
                _("%(name)s 有监护人（%(guardian)s），但尚未登记监护人能否正常履行职责，请先在名单中补录。")
                % {"name": facts.name, "guardian": facts.guardian_name}
            )
        elif facts.guardian_can_act:
            errors.append(
                _("%(name)s 的监护人（%(guardian)s）能够正常履行监护职责，不需要实施保障资金代管。")
                % {"name": facts.name, "guardian": facts.guardian_name}
            )
    return errors


# --- custodian and caregiver ----------------------------------------------------------------


@dataclass(frozen=True)
class CustodianCandidate:
    name: str
    id_number: str
    is_party_member: bool
    is_village_elder: bool
    is_committee_head: bool
    legal_procedure: str = ""
    child_wishes: str = ""


def same_person(a: str, b: str) -> bool:
    return bool(a) and bool(b) and normalize(a) == normalize(b)


def custodian_errors(
    candidate: CustodianCandidate,
    *,
    person_id_number: str,
    person_birth_date: date,
    person_village: str,
    meeting_village: str,
    meeting_date: date,
    starts_on: date,
    caregiver_name: str = "",
    caregiver_id_number: str = "",
) -> list[str]:
    """Why this candidate may not be elected custodian of this person at this meeting."""
    errors = []
    if meeting_village != person_village:
        errors.append(_("推选代管人的村民会议须由该对象所在村(居)召开。"))
    if starts_on < meeting_date:
        errors.append(_("任职日期不能早于推选会议日期（%(d)s）。") % {"d": f"{meeting_date:%Y-%m-%d}"})
    if not (candidate.is_party_member or candidate.is_village_elder):
        errors.append(_("保障资金代管人须从党员或寨老中推选，%(name)s 既不是党员也不是寨老。") % {"name": candidate.name})
    if candidate.is_committee_head:
        errors.append(_("村(居)两委负责人不能担任保障资金代管人。"))
    if same_person(candidate.id_number, person_id_number):
        errors.append(_("代管对象本人不能担任自己的保障资金代管人。"))
    if same_person(candidate.id_number, caregiver_id_number):
        errors.append(
            _("%(name)s 是该对象现任照料护理人，代管人不能同时担任照料护理人。") % {"name": caregiver_name or candidate.name}
        )
    if is_minor(person_birth_date, meeting_date):
        if not candidate.legal_procedure.strip():
            errors.append(_("该对象是未成年人：须记录推选前已履行的法律程序。"))
        if not candidate.child_wishes.strip():
            errors.append(_("该对象是未成年人：须记录根据其年龄、智力状况征求的本人真实意愿。"))
    return errors


def caregiver_errors(
    *, name: str, id_number: str, person_id_number: str, custodian_name: str = "", custodian_id_number: str = ""
) -> list[str]:
    errors = []
    if same_person(id_number, person_id_number):
        errors.append(_("代管对象本人不能担任自己的照料护理人。"))
    if same_person(id_number, custodian_id_number):
        errors.append(
            _("%(name)s 是该对象现任保障资金代管人，照料护理人不能由代管人担任。") % {"name": custodian_name or name}
        )
    return errors


# --- the ledger ------------------------------------------------------------------------------


def balance_after(balance_fen: int, amount_fen: int) -> int:
    """The balance after a posting; raises ValueError if it would go below zero."""
    after = balance_fen + amount_fen
    if after < 0:
        raise ValueError(after)
    return after


def yuan(fen: int | None) -> str:
    """12345 → "123.45" (exact; no float)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{part:02d}"


def parse_yuan(text: str) -> int:
    """"123.45" → 12345 fen. Raises ValueError on anything else (no float rounding)."""
    raw = (text or "").strip().replace(",", "").replace("，", "").removesuffix("元").strip()
    match = YUAN_PATTERN.match(raw)
    if not match:
        raise ValueError(text)
    return int(match["whole"]) * 100 + int((match["part"] or "").ljust(2, "0"))


# --- spot checks -----------------------------------------------------------------------------


def sample_size(population: int, percent: int) -> int:
    """ceil(population × percent ÷ 100), at least 1 when there is anything to sample."""
    if population <= 0:
        return 0
    return min(population, max(1, math.ceil(population * percent / 100)))


def draw_sample(population_ids: Sequence[int], percent: int, seed: int) -> list[int]:
    """A reproducible random sample: the same ids, percent and seed always give the same sample."""
    ordered = sorted(population_ids)
    k = sample_size(len(ordered), percent)
    return sorted(random.Random(seed).sample(ordered, k))


# --- oversight dates -------------------------------------------------------------------------
# Each flag compares a stored date with one cutoff computed here from `today`, so the SQL of
# custody.queries and any Python check use the same rule.


def check_cutoff(today: date) -> date:
    """An account whose last check (or, never checked, its opening) is before this is overdue."""
    return add_months(today, -CHECK_INTERVAL_MONTHS)


def no_deposit_cutoff(today: date) -> date:
    """An account whose last deposit (or, none yet, its opening) is before this is flagged."""
    return add_months(today, -NO_DEPOSIT_MONTHS)


def recent_since(today: date) -> date:
    """Withdrawal flags look at withdrawals on or after this day."""
    return add_months(today, -RECENT_MONTHS)


def is_check_overdue(*, last_checked_on: date | None, opened_on: date, today: date) -> bool:
    return (last_checked_on or opened_on) < check_cutoff(today)
