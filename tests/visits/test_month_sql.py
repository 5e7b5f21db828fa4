"""This month's schedule computed in SQL (visits.queries.month_schedules_sql) equals the Python
rules (visits.rules.schedule over visits.queries.load_histories) column by column, over varied
households: pauses (ended, open-ended, before and across the month), tier changes mid-month
(up and down, two on one day, one in the future), pairing and tier confirmed inside the month,
no tier, a county policy override, several visits on one day, remote visits that do not count."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Area, Role
from beneficiaries.models import Classification, Household
from tests.conftest import COUNTY
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from visits import queries, rules
from visits.models import Pause, VisitPolicy

from .factories import VisitFactory

pytestmark = pytest.mark.django_db
D = dt.date
TODAYS = [D(2026, 6, 1), D(2026, 6, 12), D(2026, 6, 20), D(2026, 6, 30), D(2026, 2, 28), D(2026, 7, 31)]


def _households():
    officer = user_with_role(Role.COUNTY, COUNTY)
    made = []
    for i in range(48):
        tier = "ABC"[i % 3] if i % 11 != 10 else ""
        since = None if i % 13 == 4 else (D(2026, 1, 1) if i % 7 else D(2026, 6, 9))
        h = HouseholdFactory(tier=tier, criteria=[f"{tier}1"] if tier else [], tier_since=since if tier else None)
        PersonFactory(household=h)
        if i % 9 != 8:
            PairingFactory(household=h, started_on=D(2026, 1, 1) if i % 5 else D(2026, 6, 14))
        for k in range(i % 5):
            VisitFactory(household=h, visited_on=D(2026, 5, 20) + dt.timedelta(days=6 * k + i % 3))
        if i % 4 == 1:
            VisitFactory(household=h, visited_on=D(2026, 6, 10))
            VisitFactory(household=h, visited_on=D(2026, 6, 10))  # two on one day count once
        if i % 6 == 2:
            VisitFactory(household=h, visited_on=D(2026, 6, 8), mode="phone", counted=False)
        kind = i % 8
        if kind == 1:
            Pause.objects.create(household=h, kind="hospital", starts_on=D(2026, 6, 5), ends_on=D(2026, 6, 15),
                                 reason="住院", created_by=officer)
        elif kind == 3:
            Pause.objects.create(household=h, kind="away", starts_on=D(2026, 6, 18), ends_on=None,
                                 reason="外出", created_by=officer)
        elif kind == 5:
            Pause.objects.create(household=h, kind="hospital", starts_on=D(2026, 5, 25), ends_on=D(2026, 6, 3),
                                 reason="住院", created_by=officer)
            Pause.objects.create(household=h, kind="hospital", starts_on=D(2026, 6, 25), ends_on=D(2026, 7, 4),
                                 reason="住院", created_by=officer)
        elif kind == 7:
            Pause.objects.create(household=h, kind="away", starts_on=D(2026, 4, 1), ends_on=D(2026, 4, 30),
                                 reason="外出", created_by=officer)
        if tier and i % 6 == 0:
            Classification.objects.create(household=h, tier=tier, criteria=[f"{tier}1"], effective_on=D(2026, 1, 1))
            Classification.objects.create(household=h, tier="A" if tier != "A" else "C", criteria=["A1"],
                                          effective_on=D(2026, 6, 16))  # a tier change mid-month
        if tier and i % 10 == 3:
            Classification.objects.create(household=h, tier="B", criteria=["B1"], effective_on=D(2026, 6, 7))
            Classification.objects.create(household=h, tier="C", criteria=["C1"], effective_on=D(2026, 6, 7))
            Classification.objects.create(household=h, tier="A", criteria=["A1"], effective_on=D(2026, 7, 2))
        made.append(h)
    return made


def test_month_progress_in_sql_equals_the_rules():
    prefecture = user_with_role(Role.PREFECTURE, "522600000000")
    _households()
    VisitPolicy.objects.create(county=Area.objects.get(code=COUNTY), tier="B", interval_days=12, monthly_minimum=4,
                               effective_on=D(2026, 6, 10), reason="测试", set_by=prefecture)
    ids = list(Household.objects.values_list("id", flat=True))
    seen = set()
    for today in TODAYS:
        with time_machine.travel(dt.datetime(today.year, today.month, today.day, 9, tzinfo=dt.UTC), tick=False):
            python = queries.schedules(Household.objects.filter(id__in=ids), today)
            sql = queries.month_schedules_sql(ids, today)
        assert set(sql) == set(ids)
        for hid in ids:
            expected = python[hid]
            got = queries.month_schedule(sql[hid], expected.next_due, today)
            assert got == expected, (today, Household.objects.get(id=hid).code)
            seen.add((expected.progress, expected.at_risk, expected.tier))
    # The cases are varied: pro-rated minimums, no tier, at risk and not.
    progress = {p for p, _r, _t in seen}
    assert {"", "0/0"} <= progress and len(progress) > 8
    assert {True, False} <= {r for _p, r, _t in seen}
    assert None in {t for _p, _r, t in seen}


def test_month_schedule_matches_rules_schedule_shape():
    status = rules.MonthStatus(D(2026, 6, 1), 1, 3)
    row = {"s_tier": "A", "s_last_counted": D(2026, 6, 1), "s_counted": 1, "s_minimum": 3, "s_interval": 10}
    s = queries.month_schedule(row, D(2026, 6, 11), D(2026, 6, 20))
    assert s.month == status and s.overdue_days == 9 and s.progress == "1/3" and not s.at_risk
