import datetime as dt

import pytest

from services import rules
from services.models import ReferralStatus as S
from tests.services.factories import SHANGHAI, at

ALL = list(S.values)
LEGAL = {
    (S.SUBMITTED, S.ACCEPTED), (S.SUBMITTED, S.DECLINED),
    (S.ACCEPTED, S.IN_PROGRESS), (S.ACCEPTED, S.RESOLVED), (S.ACCEPTED, S.DECLINED),
    (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.DECLINED),
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_only_the_listed_moves_are_legal(current, target):
    assert rules.can_transition(current, target) == ((current, target) in LEGAL)


def test_national_day_week_is_skipped_and_the_make_up_saturday_counts():
    # 2025: 1–8 October off; Saturday 11 October is a make-up working day.
    assert rules.add_working_days(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)
    assert rules.add_working_days(dt.date(2025, 9, 30), 3) == dt.date(2025, 10, 11)
    assert rules.add_working_days(dt.date(2025, 9, 30), 5) == dt.date(2025, 10, 14)


def test_a_make_up_sunday_before_the_holiday_is_a_working_day():
    # Friday 26 September 2025 → Sunday 28 September (调休上班).
    assert rules.add_working_days(dt.date(2025, 9, 26), 1) == dt.date(2025, 9, 28)


def test_an_ordinary_weekend_is_not_counted():
    assert rules.add_working_days(dt.date(2026, 3, 6), 1) == dt.date(2026, 3, 9)  # Friday → Monday


def test_due_time_is_the_end_of_the_last_working_day_in_shanghai():
    due = rules.due_at(submitted_at=at(2025, 9, 30, 16, 30), deadline_days=5, urgent=False)
    assert due == dt.datetime(2025, 10, 15, 0, 0, tzinfo=SHANGHAI)


def test_an_urgent_referral_is_due_24_hours_later_even_on_a_holiday():
    due = rules.due_at(submitted_at=at(2025, 10, 1, 9, 0), deadline_days=10, urgent=True)
    assert due == at(2025, 10, 2, 9, 0)


def test_overdue_only_while_open_and_from_the_due_time():
    due = at(2026, 3, 10, 0, 0)
    assert rules.is_overdue(status=S.ACCEPTED, due=due, now=due)
    assert not rules.is_overdue(status=S.ACCEPTED, due=due, now=due - dt.timedelta(seconds=1))
    assert not rules.is_overdue(status=S.RESOLVED, due=due, now=due + dt.timedelta(days=9))


@pytest.mark.parametrize(("birth", "stage"), [
    (dt.date(2023, 9, 1), "preschool"),  # 3 on 2026-09-01
    (dt.date(2020, 9, 2), "preschool"),  # still 5
    (dt.date(2020, 9, 1), "compulsory"),  # 6
    (dt.date(2011, 9, 2), "compulsory"),  # 14
    (dt.date(2010, 9, 1), "senior"),  # 16
    (dt.date(2005, 9, 1), "higher"),  # 21
    (dt.date(2003, 9, 1), None),  # 23
    (dt.date(2024, 1, 1), None),  # 2
])
def test_school_stage_follows_age(birth, stage):
    assert rules.school_stage(birth, dt.date(2026, 9, 1)) == stage


def test_tier_a_covers_preschool_to_higher_education_and_b_only_compulsory():
    today = dt.date(2026, 9, 1)
    assert rules.education_birth_range("A", today) == (dt.date(2003, 9, 2), dt.date(2023, 9, 1))
    assert rules.education_birth_range("B", today) == (dt.date(2011, 9, 2), dt.date(2020, 9, 1))


def test_winter_season_is_named_by_the_year_the_winter_starts():
    assert rules.winter_season(dt.date(2026, 11, 1)) == 2026
    assert rules.winter_season(dt.date(2027, 2, 1)) == 2026
    assert rules.winter_season(dt.date(2026, 10, 31)) == 2025
