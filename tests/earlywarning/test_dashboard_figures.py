"""The oversight dashboards' 关爱预警 panel: raised, verified in time and outcomes per area, in one
statement, with the totals."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Area, Role
from earlywarning import rules
from earlywarning.models import CareWarning, Verification
from oversight import dashboards
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, UserFactory, area, user_with_role

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 20)


def warning(village, level, raised_on, outcome=None, in_time=False):
    at = dt.datetime.combine(raised_on, dt.time(9), tzinfo=rules.SHANGHAI)
    w = CareWarning.objects.create(household=HouseholdFactory(village=area(village)), level=level, score=60,
                                   raised_on=raised_on, raised_at=at,
                                   verify_by=None if level == "attention" else at + dt.timedelta(days=1))
    if outcome:
        Verification.objects.create(warning=w, outcome=outcome, reason="核实", follow_up="走访" if outcome == "helped" else "",
                                    in_time=in_time, verified_by=UserFactory(), verified_at=at + dt.timedelta(hours=3))
        CareWarning.objects.filter(pk=w.pk).update(verified_at=at + dt.timedelta(hours=3))
    return w


def test_the_panel_counts_the_months_warnings_per_township_in_one_statement(village_code, other_village_code, client):
    warning(village_code, "urgent", dt.date(2026, 6, 2), "helped", in_time=True)
    warning(village_code, "warning", dt.date(2026, 6, 10), "no_help", in_time=False)
    warning(village_code, "attention", dt.date(2026, 6, 18))
    warning(village_code, "warning", dt.date(2026, 5, 30), "helped", in_time=True)  # last month: not counted
    warning(village_code, "warning", dt.date(2026, 6, 21))  # after the day: not counted
    warning(other_village_code, "warning", dt.date(2026, 6, 5), "wrong", in_time=True)
    board = dashboards.Dashboard(Area.objects.get(code=COUNTY), ON)
    board.groups  # noqa: B018 — the areas are the page's, read before
    with CaptureQueriesContext(connection) as ctx:
        panel = board.warnings()
    assert len(ctx.captured_queries) == 1
    rows = {r[0].value: [c.value for c in r[1:]] for r in panel.rows}
    xijiang, danjiang = Area.objects.get(code=TOWNSHIP).short_name, Area.objects.get(code=OTHER_TOWNSHIP).short_name
    # raised, urgent, verified, in time, helped, no help, wrong, open
    assert rows[xijiang] == [3, 1, 2, 1, 1, 1, 0, 1]
    assert rows[danjiang] == [1, 0, 1, 1, 0, 0, 1, 0]
    assert [c.value for c in panel.footer[1:]] == [4, 1, 3, 2, 1, 1, 1, 1]
    assert "06-01 至 06-20" in panel.explain

    # The township's board: per village; the page shows the panel.
    township = dashboards.Dashboard(Area.objects.get(code=TOWNSHIP), ON).warnings()
    assert [c.value for c in township.footer[1:]] == [3, 1, 2, 1, 1, 1, 0, 1]
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    body = client.get(reverse("oversight:dashboard", args=[COUNTY]), {"on": ON.isoformat()}).content.decode()
    assert "关爱预警" in body and "按期核查" in body
    xlsx = client.get(reverse("oversight:panel_xlsx", args=[COUNTY, "warnings"]), {"on": ON.isoformat()})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
