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
from oversight.models import DailyFigure, MonthlyCompliance
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
    assert refresh_monthly_figures(ON.isoformat()) == MonthlyCompliance.objects.count() + DailyFigure.objects.count()
    assert MonthlyCompliance.objects.count() > 0
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


def _cells(panel):
    return [[(c.value, c.url, c.note) for c in row] for row in [*panel.rows, panel.footer]]


def test_this_months_figures_stored_per_village_equal_the_live_ones_and_the_drill_down(households):
    from oversight.dashboards import Dashboard

    levels = (PREFECTURE, COUNTY, TOWNSHIP, OTHER_COUNTY)
    live_panels = {code: Dashboard(Area.objects.get(code=code), ON) for code in levels}
    live_panels = {code: (_cells(b.compliance()), _cells(b.overdue_panel()), _cells(b.cadres())) for code, b in
                   live_panels.items()}
    assert figures.stored_daily(Area.objects.get(code=COUNTY), ON) is None
    assert figures.refresh_daily(ON) > 1
    overdue_total = 0
    for code in levels:
        area = Area.objects.get(code=code)
        compliance, overdue = figures.stored_daily(area, ON)
        assert compliance == figures.compliance_counts(area, ON), code
        assert overdue == figures.overdue_counts(area, ON), code
        board = Dashboard(area, ON)
        assert board.stored is not None
        assert (_cells(board.compliance()), _cells(board.overdue_panel()), _cells(board.cadres())) == live_panels[code]
        assert board.cadres().rows or code != TOWNSHIP
        for group, by_tier in compliance.items():  # each figure is the size of its drill-down list
            child = Area.objects.get(code=group)
            for tier, (met, n) in by_tier.items():
                assert figures.compliance_ids(child, ON, tier, False).count() == n - met
                assert figures.compliance_ids(child, ON, tier, True).count() == met
        for group, counts in overdue.items():
            child = Area.objects.get(code=group)
            assert figures.overdue_ids(child, ON).count() == counts["total"]
            for bucket, _lo, _hi in figures.OVERDUE_BUCKETS:
                assert figures.overdue_ids(child, ON, bucket).count() == counts[bucket]
        if code == PREFECTURE:
            overdue_total = sum(c["total"] for c in overdue.values())
    assert overdue_total >= 1  # the case holds something overdue
    from urllib.parse import parse_qs, urlsplit

    from oversight.dashboards import drill_url

    cadre_rows = Dashboard(Area.objects.get(code=TOWNSHIP), ON).cadres().rows
    assert cadre_rows
    for row in cadre_rows:  # the links built from stems are the reversed ones
        cadre_id = int(parse_qs(urlsplit(row[1].url).query)["key"][0])
        assert row[0].url == reverse("beneficiaries:cadre_detail", args=[cadre_id])
        assert row[1].url == drill_url(TOWNSHIP, ON, "cadre", str(cadre_id))
    # Judged on another day: not used (these figures move every day).
    assert figures.stored_daily(Area.objects.get(code=COUNTY), ON + dt.timedelta(days=1)) is None
    assert figures.stored_daily(Area.objects.get(code=COUNTY), ON - dt.timedelta(days=1)) is None


def test_the_dashboard_says_how_fresh_this_months_figures_are(client, households):
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    url = reverse("oversight:dashboard", args=[COUNTY]) + f"?on={ON.isoformat()}"
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        assert "统计截至 2026-06-20 凌晨" not in client.get(url).content.decode()
        figures.refresh_daily(ON)
        page = client.get(url).content.decode()
    assert page.count("统计截至 2026-06-20 凌晨（每晚更新；点击数字看到的是实时名单）") == 2  # a county: no cadre panel
