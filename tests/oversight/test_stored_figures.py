"""The dashboards' closed-month figures kept by the nightly job (issue 25): the stored figures of
every area equal those computed live (which the drill-down lists), the page reads them and says
how fresh they are, and stale ones are not used."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Area, Role
from oversight import figures
from oversight.models import MonthlyCompliance
from oversight.tasks import refresh_monthly_figures
from tests.conftest import COUNTY, OTHER_COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, user_with_role
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 20)
PREFECTURE = "522600000000"


def _paired(tier: str, **kw):
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2026, 1, 1), **kw)
    PairingFactory(household=h, started_on=dt.date(2026, 1, 1))
    return h


@pytest.fixture
def households(village_code):
    other_village = Area.objects.filter(code__startswith=OTHER_COUNTY[:6], level="village").order_by("code").first()
    a1, a2, b1 = _paired("A"), _paired("A"), _paired("B")
    c1 = _paired("C", village=other_village)
    for d in (3, 13, 23):
        VisitFactory(household=a1, visited_on=dt.date(2026, 5, d))
    VisitFactory(household=a2, visited_on=dt.date(2026, 5, 3))
    VisitFactory(household=b1, visited_on=dt.date(2026, 4, 8))
    VisitFactory(household=b1, visited_on=dt.date(2026, 4, 22))
    VisitFactory(household=c1, visited_on=dt.date(2026, 3, 9))
    return a1, a2, b1, c1


def test_stored_figures_equal_the_live_ones_for_every_level_and_the_drill_down(households):
    assert refresh_monthly_figures(ON.isoformat()) == MonthlyCompliance.objects.count() > 0
    for code in (PREFECTURE, COUNTY, TOWNSHIP, OTHER_COUNTY):
        area = Area.objects.get(code=code)
        stored = figures.stored_monthly(area, ON)
        assert stored is not None and stored[0] == ON
        live = figures.monthly_compliance_live(area, ON)
        assert stored[1] == live, code
        assert figures.monthly_compliance(area, ON) == live
        for month, by_tier in live.items():  # each "not met" figure is the drill-down's list
            for tier, (met, n) in by_tier.items():
                if n:
                    assert figures.monthly_ids(area, month, tier, False).count() == n - met
    may = figures.stored_monthly(Area.objects.get(code=PREFECTURE), ON)[1][dt.date(2026, 5, 1)]
    assert may["A"] == [1, 2]


def test_stale_or_missing_figures_are_computed_live(households):
    county = Area.objects.get(code=COUNTY)
    assert figures.stored_monthly(county, ON) is None
    figures.refresh_monthly(ON - dt.timedelta(days=2))
    assert figures.stored_monthly(county, ON) is None  # two days old: not used
    assert figures.stored_monthly(county, ON - dt.timedelta(days=1)) is not None  # a day old: used
    figures.refresh_monthly(dt.date(2026, 5, 31))
    assert figures.stored_monthly(county, dt.date(2026, 6, 1)) is None  # another set of closed months


def test_the_dashboard_says_how_fresh_its_monthly_figures_are(client, households):
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    url = reverse("oversight:dashboard", args=[COUNTY]) + f"?on={ON.isoformat()}"
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        assert "实时计算" in client.get(url).content.decode()
        figures.refresh_monthly(ON)
        assert "统计截至 2026-06-20（每晚更新）" in client.get(url).content.decode()
