"""Dashboard figures against hand-computed fixtures, and the dashboard = overdue report check."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Area, Role
from beneficiaries.models import Classification, QuarterlyReview
from oversight import dashboards, figures
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, UserFactory, user_with_role
from tests.services.factories import at, field
from tests.visits.factories import VisitFactory
from visits.models import Finding, Pause

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 20)


def county() -> Area:
    return Area.objects.get(code=COUNTY)


def _paired(tier: str, village_code: str | None = None, **kw):
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2026, 1, 1), **({"village_id": village_code} if village_code else {}), **kw)
    PairingFactory(household=h, started_on=dt.date(2026, 1, 1))
    return h


def test_tier_counts_group_active_households_by_township(village_code, other_village_code):
    HouseholdFactory(tier="A")
    HouseholdFactory(tier="A")
    HouseholdFactory(tier="", criteria=[], village_id=other_village_code)
    HouseholdFactory(tier="C", status="exited", exited_on=dt.date(2026, 5, 1))
    counts = figures.tier_counts(county())
    assert counts[TOWNSHIP] == {"A": 2, "B": 0, "C": 0, "": 0, "total": 2}
    assert counts[OTHER_TOWNSHIP] == {"A": 0, "B": 0, "C": 0, "": 1, "total": 1}
    prefecture = figures.tier_counts(Area.objects.get(code="522600000000"))
    assert prefecture[COUNTY]["total"] == 3


def test_dashboard_overdue_equals_the_overdue_report_for_the_same_area_and_date(other_village_code, tmp_path):
    # Tier B due every 15 days: last visit 06-01 → due 06-16 → overdue on 06-20 (4 days).
    late = _paired("B")
    VisitFactory(household=late, visited_on=dt.date(2026, 6, 1))
    # Tier A never visited since pairing on 01-01 → long overdue.
    _paired("A", other_village_code)
    # Visited on time.
    fine = _paired("C")
    VisitFactory(household=fine, visited_on=dt.date(2026, 6, 10))
    target = tmp_path / "overdue.csv"
    call_command("overdue_report", "--date", ON.isoformat(), "--area", COUNTY, "--output", str(target),
                 stderr=io.StringIO())
    report = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8").lstrip("\ufeff"))))[1:]
    counts = figures.overdue_counts(county(), ON)
    assert sum(c["total"] for c in counts.values()) == len(report) == 2
    assert counts[TOWNSHIP]["total"] == 1 and counts[TOWNSHIP]["1-7"] == 1 and counts[TOWNSHIP]["days_max"] == 4
    assert counts[OTHER_TOWNSHIP]["31+"] == 1
    # The panel shows the same total, and its number links to exactly those households.
    panel = dashboards.Dashboard(county(), ON).overdue_panel()
    assert panel.footer[1].value == len(report)
    title, qs = dashboards.drill(county(), ON, "overdue", "")
    assert sorted(qs.values_list("code", flat=True)) == sorted(r[0] for r in report)


def test_this_months_compliance_counts_on_track_households_by_tier():
    ok = _paired("C")
    VisitFactory(household=ok, visited_on=dt.date(2026, 6, 5))  # due 07-05: on track
    behind = _paired("C")
    VisitFactory(household=behind, visited_on=dt.date(2026, 5, 1))  # due 05-31: overdue
    counts = figures.compliance_counts(county(), ON)
    assert counts[TOWNSHIP]["C"] == [1, 2]
    assert list(figures.compliance_ids(county(), ON, "C", False)) == [behind]


def test_monthly_compliance_prorates_the_minimum_to_active_days_and_counts_visit_days_once():
    """May 2026 (31 days), tier A minimum 3.
    - h1: visits on 05-03, 05-13, 05-13 (same day twice), 05-23 → 3 days ≥ 3: met.
    - h2: visits on 05-03 and 05-13 only → 2 < 3: not met.
    - h3: in hospital 05-01…05-20 (20 days paused) → 11 active days → ceil(3 × 11 / 31) = 2;
      visits on 05-22 and 05-30 → met."""
    h1, h2, h3 = _paired("A"), _paired("A"), _paired("A")
    for d in (3, 13, 13, 23):
        VisitFactory(household=h1, visited_on=dt.date(2026, 5, d))
    for d in (3, 13):
        VisitFactory(household=h2, visited_on=dt.date(2026, 5, d))
    for d in (22, 30):
        VisitFactory(household=h3, visited_on=dt.date(2026, 5, d))
    Pause.objects.create(household=h3, kind="hospital", starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 20),
                         reason="住院", created_by=UserFactory())
    data = figures.monthly_compliance(county(), ON)
    assert list(data)[-1] == dt.date(2026, 5, 1) and len(data) == 12
    assert data[dt.date(2026, 5, 1)]["A"] == [2, 3]
    assert list(figures.monthly_ids(county(), dt.date(2026, 5, 1), "A", False)) == [h2]


def test_monthly_compliance_uses_the_tier_held_at_the_months_end():
    h = _paired("C")
    Classification.objects.create(household=h, tier="C", criteria=["C1"], effective_on=dt.date(2026, 1, 1))
    Classification.objects.create(household=h, tier="A", from_tier="C", criteria=["A1"], effective_on=dt.date(2026, 5, 25))
    VisitFactory(household=h, visited_on=dt.date(2026, 4, 10))
    VisitFactory(household=h, visited_on=dt.date(2026, 5, 10))
    data = figures.monthly_compliance(county(), ON)
    assert data[dt.date(2026, 4, 1)]["C"] == [1, 1]
    assert data[dt.date(2026, 5, 1)]["A"] == [0, 1]  # one visit day < 3


def test_open_findings_by_age_and_kind_as_of_the_date():
    h = _paired("B")
    owner = UserFactory()
    recent = Finding.objects.create(household=h, kind="hazard", description="电线", owner=owner,
                                    due_on=ON, created_by=owner)
    old = Finding.objects.create(household=h, kind="service_need", description="照料", owner=owner,
                                 due_on=ON, created_by=owner)
    closed = Finding.objects.create(household=h, kind="benefit", description="救助", owner=owner, due_on=ON,
                                    created_by=owner, status="closed", closing_note="已办", closed_on=dt.date(2026, 6, 1))
    Finding.objects.filter(pk=recent.pk).update(created_at=at(2026, 6, 18))
    Finding.objects.filter(pk=old.pk).update(created_at=at(2026, 3, 1))
    Finding.objects.filter(pk=closed.pk).update(created_at=at(2026, 5, 1))
    counts = figures.findings_counts(county(), ON)[TOWNSHIP]
    assert counts == {"total": 2, "hazard": 1, "service_need": 1, "0-7": 1, "91+": 1}
    # On 05-15 the benefit finding was still open.
    assert figures.findings_counts(county(), dt.date(2026, 5, 15))[TOWNSHIP]["benefit"] == 1
    assert list(figures.findings_ids(county(), ON, "91+")) == [h]


def test_referral_timeliness_by_department():
    from services.models import Referral

    h = _paired("B")
    user = UserFactory()
    f = field("medical-aid")
    common = {"household": h, "field": f, "department": f.route_to, "problem": "住院", "created_by": user,
              "outcome": "已办"}
    Referral.objects.create(**common, status="resolved", submitted_at=at(2026, 6, 1), due_at=at(2026, 6, 11),
                            closed_at=at(2026, 6, 5))  # on time
    Referral.objects.create(**common, status="resolved", submitted_at=at(2026, 5, 1), due_at=at(2026, 5, 11),
                            closed_at=at(2026, 5, 20))  # late
    Referral.objects.create(**common, status="submitted", submitted_at=at(2026, 5, 1), due_at=at(2026, 5, 11),
                            escalated_at=at(2026, 5, 12), escalated_to_id=COUNTY)  # escalated
    Referral.objects.create(**common, status="accepted", submitted_at=at(2026, 6, 15), due_at=at(2026, 6, 25))  # open
    [row] = figures.referral_counts(county(), ON)
    assert (row["on_time"], row["late"], row["escalated"], row["open"], row["total"]) == (1, 1, 1, 1, 4)
    assert list(figures.referral_ids(county(), ON, f.route_to_id, "late")) == [h]


def test_review_status_of_the_previous_and_current_quarter():
    officer = UserFactory()
    QuarterlyReview.objects.create(county_id=COUNTY, year=2026, quarter=1, started_by=officer,
                                   completed_by=officer, completed_at=at(2026, 4, 10))
    QuarterlyReview.objects.create(county_id=COUNTY, year=2026, quarter=2, started_by=officer)
    QuarterlyReview.objects.update(started_at=at(2026, 4, 1))
    status = figures.review_status(Area.objects.get(code="522600000000"), ON)
    assert status[COUNTY] == {"previous": "done", "current": "open"}


def test_dashboard_pages_are_scoped_and_every_number_links_to_its_households(client, village_code):
    late = _paired("B")
    VisitFactory(household=late, visited_on=dt.date(2026, 6, 1))
    county_user = user_with_role(Role.COUNTY, COUNTY)
    township_user = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    cadre = user_with_role(Role.CADRE, village_code)
    client.force_login(county_user)
    response = client.get(reverse("oversight:dashboard", args=[COUNTY]), {"on": ON.isoformat()})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="application/json"' in body and "dashboard-data" in body
    drill = reverse("oversight:drill", args=[COUNTY])
    listed = client.get(drill, {"figure": "overdue", "key": "", "on": ON.isoformat()})
    assert late.code in listed.content.decode()
    xlsx = client.get(reverse("oversight:panel_xlsx", args=[COUNTY, "overdue"]), {"on": ON.isoformat()})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    # A township official of another township: the county's dashboard is out of scope (404).
    client.force_login(township_user)
    assert client.get(reverse("oversight:dashboard", args=[COUNTY])).status_code == 404
    assert client.get(reverse("oversight:dashboard", args=[OTHER_TOWNSHIP])).status_code == 200
    # A cadre has no dashboards.
    client.force_login(cadre)
    assert client.get(reverse("oversight:dashboard_index")).status_code == 404


def test_the_dashboards_query_count_does_not_grow_with_rows(client, village_code, other_village_code):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    url = reverse("oversight:dashboard", args=[COUNTY])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"on": ON.isoformat()}).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        VisitFactory(household=_paired("B"), visited_on=dt.date(2026, 6, 1))
    few = count()
    for village in (village_code, other_village_code) * 4:
        VisitFactory(household=_paired("A", village), visited_on=dt.date(2026, 5, 1))
    assert count() <= few


def test_custody_accounts_with_anomalies_and_checks_done(village_code):
    from custody.models import LedgerCheck
    from tests.custody.factories import TODAY as CUSTODY_TODAY
    from tests.custody.factories import deposit, open_account

    fed = open_account(village_code)
    deposit(fed, 50000, on=dt.date(2026, 3, 1))
    LedgerCheck.objects.create(account=fed, period_start=dt.date(2026, 1, 5), period_end=dt.date(2026, 3, 1),
                               checked_on=dt.date(2026, 3, 10), checker=UserFactory(), result="normal",
                               balance_fen=50000)
    starved = open_account(village_code)  # nothing deposited for over two months: flagged
    counts = figures.custody_counts(county(), CUSTODY_TODAY)[TOWNSHIP]
    assert counts == {"accounts": 2, "anomalous": 1, "checked": 1}
    assert list(figures.custody_ids(county(), CUSTODY_TODAY, "anomalous")) == [starved.person.household]
    assert list(figures.custody_ids(county(), CUSTODY_TODAY, "checked")) == [fed.person.household]
