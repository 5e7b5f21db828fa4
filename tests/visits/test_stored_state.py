"""Stored state that stays true: the stored due date (households.next_due_on), kept by the
actions and the daily job, always equals the due date the rules recompute from the history —
over random histories of visits, pauses, tier changes and policies (some dated in the future).
And reports near their floor give the same rows as the rules: today's report from the stored
due date, past dates over the roster as it stood (a household that exited after D is listed)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Area, Role
from beneficiaries import actions as roster_actions
from beneficiaries.models import Household, HouseholdStatus
from tests.conftest import COUNTY
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from visits import actions, queries
from visits.models import Pause, VisitMode

from .factories import VisitFactory, visit_input

pytestmark = pytest.mark.django_db
START = dt.date(2026, 3, 1)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)


def recomputed(today: dt.date) -> dict[int, dt.date | None]:
    active = Household.objects.filter(status=HouseholdStatus.ACTIVE)
    return {hid: s.next_due for hid, s in queries.schedules(active, today).items()}


def stored() -> dict[int, dt.date | None]:
    return dict(Household.objects.filter(status=HouseholdStatus.ACTIVE).values_list("id", "next_due_on"))


event = st.one_of(
    st.tuples(st.just("visit"), st.integers(0, 2), st.sampled_from([VisitMode.IN_PERSON, VisitMode.PHONE]),
              st.integers(0, 3)),
    st.tuples(st.just("pause"), st.integers(0, 2), st.integers(-3, 5), st.one_of(st.none(), st.integers(0, 12))),
    st.tuples(st.just("end_pause"), st.integers(0, 2)),
    st.tuples(st.just("tier"), st.integers(0, 2), st.sampled_from(["A", "B", "C"])),
    st.tuples(st.just("policy"), st.sampled_from(["A", "B", "C"]), st.integers(3, 40), st.integers(0, 6)),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(days=st.lists(st.lists(event, max_size=3), min_size=5, max_size=30))
def test_the_stored_due_date_equals_the_recomputed_one_over_random_histories(days):
    with transaction.atomic():  # each example starts from the same database
        _run_history(days)
        transaction.set_rollback(True)


def _run_history(days):
    with time_machine.travel(at(START - dt.timedelta(days=1)), tick=False):
        county = Area.objects.get(code=COUNTY)
        officer = user_with_role(Role.COUNTY, COUNTY, username=f"officer{Household.objects.count()}")
        prefecture = user_with_role(Role.PREFECTURE, "522600000000", username=f"pref{Household.objects.count()}")
        households = []
        for i, tier in enumerate("ABC"):
            h = HouseholdFactory(tier="", criteria=[], tier_since=None)
            PersonFactory(household=h)
            roster_actions.classification_confirm(actor=officer, household=h, tier=tier, criteria=[f"{tier}1"],
                                                  reason="测试", today=START - dt.timedelta(days=1))
            PairingFactory(household=h, started_on=START - dt.timedelta(days=i))
            households.append(h)
        actions.schedule_refresh(households=Household.objects.all(), today=START - dt.timedelta(days=1))

    for offset, events in enumerate(days):
        today = START + dt.timedelta(days=offset)
        with time_machine.travel(at(today), tick=False):
            for e in events:
                kind = e[0]
                if kind == "visit":
                    _, i, mode, back = e
                    actions.visit_record(actor=officer, household=households[i], today=today, data=visit_input(
                        visited_on=today - dt.timedelta(days=back), mode=mode, visitor_name="张敏",
                        late_reason="补录" if back > 1 else ""))
                elif kind == "pause":
                    _, i, start, length = e
                    starts_on = today + dt.timedelta(days=start)
                    ends_on = None if length is None else starts_on + dt.timedelta(days=length)
                    try:
                        actions.pause_record(actor=officer, household=households[i], kind="hospital",
                                             starts_on=starts_on, ends_on=ends_on, reason="住院", today=today)
                    except ValidationError:  # an overlapping pause is refused; nothing changes
                        pass
                elif kind == "end_pause":
                    pause = Pause.objects.filter(household=households[e[1]], ends_on__isnull=True,
                                                 starts_on__lte=today).first()
                    if pause is not None:
                        actions.pause_end(actor=officer, pause=pause, ends_on=today, today=today)
                elif kind == "tier":
                    _, i, tier = e
                    roster_actions.classification_confirm(actor=officer, household=households[i], tier=tier,
                                                          criteria=[f"{tier}1"], reason="调整", today=today)
                else:
                    _, tier, interval, ahead = e
                    try:
                        actions.policy_set(actor=prefecture, county=county, tier=tier, interval_days=interval,
                                           monthly_minimum=1, effective_on=today + dt.timedelta(days=ahead),
                                           reason="测试", today=today)
                    except ValidationError:  # one policy per county, tier and date: refused
                        pass
            # The daily job of the next morning, which is when future-dated policies take effect.
        tomorrow = today + dt.timedelta(days=1)
        with time_machine.travel(dt.datetime.combine(tomorrow, dt.time(7), tzinfo=SHANGHAI), tick=False):
            actions.overdue_alerts(today=tomorrow)
            assert stored() == recomputed(tomorrow), (offset, events)


def test_a_policy_dated_in_the_future_moves_the_stored_due_date_on_its_day():
    county = Area.objects.get(code=COUNTY)
    prefecture = user_with_role(Role.PREFECTURE, "522600000000")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=household, started_on=dt.date(2026, 1, 1))
    VisitFactory(household=household, visited_on=dt.date(2026, 6, 1))
    actions.schedule_refresh(households=Household.objects.all(), today=dt.date(2026, 6, 2))
    assert Household.objects.get().next_due_on == dt.date(2026, 6, 11)
    actions.policy_set(actor=prefecture, county=county, tier="A", interval_days=5, monthly_minimum=3,
                       effective_on=dt.date(2026, 6, 4), reason="汛期", today=dt.date(2026, 6, 2))
    assert Household.objects.get().next_due_on == dt.date(2026, 6, 11)  # not yet in force
    with time_machine.travel(at(dt.date(2026, 6, 4)), tick=False):
        actions.overdue_alerts(today=dt.date(2026, 6, 4))
    assert Household.objects.get().next_due_on == dt.date(2026, 6, 6)


def test_a_household_without_a_due_date_is_not_recomputed_every_run():
    with time_machine.travel(at(dt.date(2026, 6, 1)), tick=False):
        household = HouseholdFactory(tier="", criteria=[], tier_since=None)  # unclassified: no due date
    assert queries.schedule_changes(dt.date(2026, 6, 2)).count() == 0  # nothing to compute
    PairingFactory(household=household, started_on=dt.date(2026, 6, 4))
    assert queries.schedule_changes(dt.date(2026, 6, 5)).count() == 1  # paired yesterday: checked
    assert queries.schedule_changes(dt.date(2026, 6, 9)).count() == 0  # checked; nothing changed since


@pytest.fixture
def history():
    households = []
    for i in range(6):
        h = HouseholdFactory(tier="ABC"[i % 3], tier_since=dt.date(2026, 1, 1))
        PersonFactory(household=h, name=f"户主{i}")
        PairingFactory(household=h, started_on=dt.date(2026, 1, 1))
        VisitFactory(household=h, visited_on=dt.date(2026, 5, 1) + dt.timedelta(days=7 * i))
        households.append(h)
    return households


def test_todays_report_from_stored_due_dates_equals_the_rules(history):
    today = dt.date(2026, 6, 20)
    actions.schedule_refresh(households=Household.objects.all(), today=today)
    fast = queries.overdue_report_rows(Household.objects.all(), today, today=today)
    ruled = queries.overdue_report_rows(Household.objects.all(), today, today=today + dt.timedelta(days=1))
    assert fast == ruled and len(fast) >= 3


def test_a_household_that_exited_after_d_is_listed_for_d(history):
    officer = user_with_role(Role.COUNTY, COUNTY)
    day = dt.date(2026, 6, 20)
    before = {r[0] for r in queries.overdue_report_rows(Household.objects.all(), day, today=dt.date(2026, 7, 1))}
    gone = Household.objects.get(code=sorted(before)[0])
    with time_machine.travel(at(dt.date(2026, 6, 25)), tick=False):
        roster_actions.household_exit(actor=officer, household=gone, reason="迁出", today=dt.date(2026, 6, 25))
    rows = queries.overdue_report_rows(Household.objects.all(), day, today=dt.date(2026, 7, 1))
    assert {r[0] for r in rows} == before
    cadre = next(r[4] for r in rows if r[0] == gone.code)
    assert cadre  # the cadre paired on D, though the pairing ended with the exit
    after = queries.overdue_report_rows(Household.objects.all(), dt.date(2026, 6, 26), today=dt.date(2026, 7, 1))
    assert gone.code not in {r[0] for r in after}


def test_the_shortfall_counted_in_sql_equals_the_rules():
    officer = user_with_role(Role.COUNTY, COUNTY)
    prefecture = user_with_role(Role.PREFECTURE, "522600000000")
    actions.policy_set(actor=prefecture, county=Area.objects.get(code=COUNTY), tier="B", interval_days=12,
                       monthly_minimum=3, effective_on=dt.date(2026, 5, 1), reason="测试", today=dt.date(2026, 5, 1))
    month = dt.date(2026, 5, 1)
    for i in range(24):
        tier = "ABC"[i % 3]
        h = HouseholdFactory(tier=tier, tier_since=dt.date(2026, 1, 1) if i % 7 else dt.date(2026, 5, 9))
        PersonFactory(household=h)
        PairingFactory(household=h, started_on=dt.date(2026, 1, 1) if i % 5 else dt.date(2026, 5, 12))
        for k in range(i % 4):
            VisitFactory(household=h, visited_on=month + dt.timedelta(days=3 + 8 * k))
        if i % 6 == 1:
            Pause.objects.create(household=h, kind="hospital", starts_on=dt.date(2026, 5, 10),
                                 ends_on=None if i % 12 == 1 else dt.date(2026, 5, 20), reason="住院", created_by=officer)
        if i % 8 == 2:
            roster_actions.classification_confirm(actor=officer, household=h, tier="A", criteria=["A1"], reason="调整",
                                                  today=dt.date(2026, 5, 15))
    last = dt.date(2026, 5, 31)
    statuses = queries.month_statuses(Household.objects.filter(status="active"), month, last)
    expected = sorted((hid, s.counted, s.minimum) for hid, s in statuses.items() if s.shortfall > 0)
    assert queries.month_shortfalls(month, last) == expected and len(expected) >= 5


def test_an_imported_ledger_keeps_stored_due_dates_true(history):
    from accounts import sheets
    from visits import imports

    today = dt.date(2026, 6, 20)
    actions.schedule_refresh(households=Household.objects.all(), today=today)
    old, recent = history[0], history[5]  # last visited 2026-05-01 and 2026-06-05
    content = sheets.csv_bytes(imports.HEADERS, [
        [old.code, "2026-04-20", "入户", "补录员", "纸质台账：早于最近一次走访"],
        [recent.code, "2026-06-18", "入户", "补录员", "纸质台账：晚于最近一次走访"],
        [history[1].code, "2026-06-19", "电话", "补录员", "电话不计入"],
    ])
    before = stored()
    with time_machine.travel(at(today), tick=False):
        result = imports.visits_import(actor=user_with_role(Role.COUNTY, COUNTY), name="l.csv", content=content,
                                       dry_run=False, today=today)
    assert result.ok and result.created == 3
    after = stored()
    assert after == recomputed(today)
    assert after[old.pk] == before[old.pk] and after[recent.pk] != before[recent.pk]
