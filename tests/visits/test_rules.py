"""The schedule rules of SPEC §7, including each worked example."""

import datetime as dt

import pytest

from visits import rules
from visits.rules import DEFAULT_POLICY as P
from visits.rules import History, Period, TierChange

D = dt.date


START = D(2026, 1, 1)


def hist(tier="A", visits=(), pauses=(), start=START, changes=None):
    return History(tier_changes=changes or [TierChange(D(2025, 1, 1), tier)], counted_visits=list(visits),
                   pauses=list(pauses), clock_start=start)


def test_worked_example_tier_b_is_due_on_the_25th_and_two_days_overdue_on_the_27th():
    h = hist("B", [D(2026, 3, 10)])
    assert rules.next_due(h, P, D(2026, 3, 20)) == D(2026, 3, 25)
    assert rules.overdue_days(D(2026, 3, 25), D(2026, 3, 25)) == 0
    assert rules.overdue_days(D(2026, 3, 25), D(2026, 3, 27)) == 2


def test_worked_example_hospital_pause_moves_due_date_and_june_minimum_is_three():
    h = hist("A", [D(2026, 6, 2), D(2026, 6, 12)], [Period(D(2026, 6, 15), D(2026, 6, 19))])
    assert rules.next_due(h, P, D(2026, 6, 20)) == D(2026, 6, 27)
    assert rules.active_days(D(2026, 6, 1), h.pauses) == 25
    status = rules.month_status(h, P, D(2026, 6, 1), D(2026, 6, 30))
    assert (status.counted, status.minimum) == (2, 3)


def test_worked_example_tier_c_raised_to_a_is_due_ten_days_after_the_change():
    h = hist(changes=[TierChange(D(2025, 1, 1), "C"), TierChange(D(2026, 9, 14), "A")], visits=[D(2026, 9, 1)])
    assert rules.next_due(h, P, D(2026, 9, 15)) == D(2026, 9, 24)


def test_tier_lowered_keeps_the_earlier_due_date_of_the_old_tier():
    h = hist(changes=[TierChange(D(2025, 1, 1), "A"), TierChange(D(2026, 9, 5), "C")], visits=[D(2026, 9, 1)])
    assert rules.next_due(h, P, D(2026, 9, 6)) == D(2026, 9, 11)


def test_tier_a_is_overdue_after_ten_days():
    h = hist("A", [D(2026, 5, 1)])
    due = rules.next_due(h, P, D(2026, 5, 12))
    assert due == D(2026, 5, 11)
    assert rules.overdue_days(due, D(2026, 5, 12)) == 1


def test_without_a_counted_visit_the_clock_starts_at_the_later_of_pairing_and_tier_confirmation():
    assert rules.clock_start([D(2026, 2, 1), D(2026, 4, 1)], [D(2026, 3, 1)]) == D(2026, 3, 1)
    assert rules.clock_start([D(2026, 5, 1)], [D(2026, 3, 1)]) == D(2026, 5, 1)
    h = hist("C", start=D(2026, 3, 1))
    assert rules.next_due(h, P, D(2026, 3, 2)) == D(2026, 3, 31)


def test_a_change_of_cadre_does_not_reset_the_clock():
    # Pairings 02-01 (ended) and 04-01 (new cadre): the first one starts the clock.
    assert rules.clock_start([D(2026, 4, 1), D(2026, 2, 1)], [D(2026, 1, 1)]) == D(2026, 2, 1)


def test_no_tier_or_no_clock_start_means_no_due_date():
    assert rules.next_due(History(tier_changes=[], counted_visits=[]), P, D(2026, 1, 1)) is None


def test_open_ended_pause_means_no_due_date_until_it_ends():
    h = hist("A", [D(2026, 6, 2)], [Period(D(2026, 6, 5), None)])
    assert rules.next_due(h, P, D(2026, 6, 30)) is None


def test_pause_across_month_end_moves_due_and_prorates_both_months():
    pause = Period(D(2026, 1, 25), D(2026, 2, 7))  # 7 days in January, 7 in February
    h = hist("A", [D(2026, 1, 20)], [pause])
    assert rules.next_due(h, P, D(2026, 1, 21)) == D(2026, 2, 13)
    assert rules.monthly_minimum(3, rules.active_days(D(2026, 1, 1), [pause]), 31) == 3  # ceil(3*24/31)=3
    assert rules.active_days(D(2026, 2, 1), [pause]) == 21
    assert rules.monthly_minimum(3, 21, 28) == 3  # ceil(2.25)
    assert rules.monthly_minimum(2, 21, 28) == 2  # ceil(1.5)
    assert rules.monthly_minimum(3, 9, 30) == 1


def test_due_date_never_lands_on_a_paused_day():
    h = hist("A", [D(2026, 6, 2)], [Period(D(2026, 6, 12), D(2026, 6, 12))])
    assert rules.next_due(h, P, D(2026, 6, 3)) == D(2026, 6, 13)


def test_pause_before_the_last_visit_does_not_move_the_due_date():
    h = hist("A", [D(2026, 6, 12)], [Period(D(2026, 6, 1), D(2026, 6, 5))])
    assert rules.next_due(h, P, D(2026, 6, 13)) == D(2026, 6, 22)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (D(2026, 1, 31), D(2026, 2, 15)),  # tier B over February
        (D(2026, 2, 14), D(2026, 3, 1)),
        (D(2028, 2, 14), D(2028, 2, 29)),  # leap year
        (D(2026, 12, 20), D(2027, 1, 4)),
    ],
)
def test_month_ends_and_february(last, expected):
    assert rules.next_due(hist("B", [last]), P, last) == expected


def test_february_has_28_active_days_and_a_full_minimum():
    assert rules.active_days(D(2026, 2, 1), []) == 28
    h = hist("A", [D(2026, 2, 3), D(2026, 2, 13)])
    status = rules.month_status(h, P, D(2026, 2, 1), D(2026, 2, 28))
    assert (status.counted, status.minimum, status.shortfall) == (2, 3, 1)


def test_several_counted_visits_on_the_same_day_count_once():
    h = hist("A", [D(2026, 6, 2), D(2026, 6, 2), D(2026, 6, 12)])
    assert rules.month_status(h, P, D(2026, 6, 1), D(2026, 6, 30)).counted == 2


def test_month_minimum_follows_the_tier_held_at_month_end():
    h = hist(changes=[TierChange(D(2025, 1, 1), "C"), TierChange(D(2026, 9, 14), "A")], visits=[D(2026, 9, 1)])
    assert rules.month_status(h, P, D(2026, 9, 1), D(2026, 10, 2)).minimum == 3
    # For the current month, the tier on the report date.
    assert rules.month_status(h, P, D(2026, 9, 1), D(2026, 9, 10)).minimum == 1


def test_days_before_the_clock_start_do_not_count_toward_the_minimum():
    h = hist("A", start=D(2026, 6, 21))
    assert rules.month_status(h, P, D(2026, 6, 1), D(2026, 6, 30)).minimum == 1  # ceil(3*10/30)


def test_at_risk_when_remaining_visits_no_longer_fit_at_the_interval():
    h = hist("A", [D(2026, 6, 12)])
    today = D(2026, 6, 21)
    s = rules.schedule(h, P, today)
    # One counted, two more needed; next due 06-22, then 07-02: only one fits in June.
    assert s.month.shortfall == 2 and s.next_due == D(2026, 6, 22)
    assert s.at_risk
    early = rules.schedule(hist("A", [D(2026, 6, 2)]), P, D(2026, 6, 3))
    assert not early.at_risk  # 06-12 and 06-22 still fit


def test_special_period_decides_counting_elsewhere_but_rules_take_counted_days():
    # Counting of phone/video visits is decided when recorded (visits.actions); the rules see
    # only counted days. A remote visit outside a special period leaves the due date unchanged.
    assert rules.next_due(hist("B", [D(2026, 3, 10)]), P, D(2026, 3, 20)) == D(2026, 3, 25)


def test_late_entry_needs_a_reason_after_one_day():
    assert not rules.is_late_entry(D(2026, 6, 9), D(2026, 6, 10))
    assert rules.is_late_entry(D(2026, 6, 8), D(2026, 6, 10))


def test_due_soon_within_three_days():
    s = rules.schedule(hist("A", [D(2026, 6, 2)]), P, D(2026, 6, 9))
    assert s.due_soon and not s.is_overdue and s.progress == "1/3"
