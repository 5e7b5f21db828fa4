"""The desk lists every overdue household once, with its cadre, due date, days overdue and
escalation level; special reports on top with an unread badge; downloads for every area."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from accounts.phones import mask_phone
from beneficiaries.models import Household
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, user_with_role
from visits import actions
from visits.actions import overdue_alerts
from visits.models import Escalation

from .factories import VisitFactory

pytestmark = pytest.mark.django_db
D = dt.date
TZ = dt.timezone(dt.timedelta(hours=8))


def test_a_household_30_days_overdue_is_listed_once_at_county_level(client, paired, township_user, county_user):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 5, 2))
    overdue_alerts(today=D(2026, 6, 1))
    overdue_alerts(today=D(2026, 7, 11))
    assert Escalation.objects.filter(household=household).count() == 2  # township (7 days) and county (30)
    client.force_login(county_user)
    with time_machine.travel(dt.datetime(2026, 7, 11, 9, tzinfo=TZ), tick=False):
        response = client.get(reverse("visits:desk"))
    rows = [h for g in response.context["groups"] for h in g.households]
    assert [h.pk for h in rows] == [household.pk]
    row = rows[0]
    assert row.escalation == 2 and row.escalation_label == "县(市)"
    household.refresh_from_db()
    assert row.days_overdue == (D(2026, 7, 11) - household.next_due_on).days >= 30
    html = response.content.decode()
    assert html.count(f'href="{reverse("visits:household", args=[household.pk])}"') == 1
    # The county sees the cadre's number masked (issue 21: the one phone policy, accounts/phones.py).
    assert "王阿婆" in html and row.cadre_phone and row.cadre_phone not in html
    assert mask_phone(row.cadre_phone) in html


def test_area_filter_and_downloads_for_every_area_in_scope(client, paired):
    prefecture = user_with_role(Role.PREFECTURE, "522600000000")
    client.force_login(prefecture)
    response = client.get(reverse("visits:desk"))
    names = [a.name for a in response.context["areas"]]
    assert "雷山县" in names and len([a for a in response.context["areas"] if a.level == "county"]) == 16
    html = response.content.decode()
    assert "下载逾期清单（全部）" in html
    assert html.count("下载逾期清单（") == 1  # one button for the whole scope, a picker for the rest
    # An area outside the user's scope is 404.
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    client.force_login(township)
    assert client.get(reverse("visits:desk"), {"area": OTHER_TOWNSHIP}).status_code == 404
    assert client.get(reverse("visits:desk"), {"area": TOWNSHIP}).status_code == 200


def test_area_filter_narrows_the_households(client, paired, other_village_code):
    other = HouseholdFactory(tier="A", tier_since=D(2026, 1, 1), village_id=other_village_code)
    PairingFactory(household=other, started_on=D(2026, 5, 1))
    actions.schedule_refresh(households=Household.objects.all(), today=D(2026, 6, 20))
    county = user_with_role(Role.COUNTY, COUNTY)
    client.force_login(county)
    with time_machine.travel(dt.datetime(2026, 6, 20, 9, tzinfo=TZ), tick=False):
        both = client.get(reverse("visits:desk")).context["page"].paginator.count
        one = client.get(reverse("visits:desk"), {"area": TOWNSHIP}).context["page"].paginator.count
    assert both == 2 and one == 1


def test_overdue_households_pages_in_order_one_statement_a_page(township_user, django_assert_num_queries):
    from visits.desk_queries import overdue_households

    due = [D(2026, 6, 1) + dt.timedelta(days=i) for i in range(5)]
    for day in reversed(due):
        h = HouseholdFactory(tier="A")
        Household.objects.filter(pk=h.pk).update(next_due_on=day)
    HouseholdFactory(tier="A")  # no due date: not overdue
    rows = overdue_households(township_user, D(2026, 6, 20))
    assert rows.count() == len(rows) == 5
    with django_assert_num_queries(1):
        second_page = rows[2:4]
    assert [r.next_due_on for r in second_page] == due[2:4]
    assert [r.days_overdue for r in second_page] == [17, 16]
    assert rows[5:] == [] and [r.next_due_on for r in rows[3:]] == due[3:]


def test_overdue_summary_counts_by_village_and_cadre_in_one_statement(township_user, village_code,
                                                                      django_assert_num_queries):
    from accounts.scoping import user_roles
    from tests.factories import CadreFactory
    from visits.queries import overdue_summary

    zhang, li = CadreFactory(name="张敏"), CadreFactory(name="李强")
    from accounts.models import Area

    second = Area.objects.filter(parent_id=TOWNSHIP).exclude(code=village_code).order_by("code").first()
    late = D(2026, 6, 1)
    for village, cadre in ((village_code, zhang), (village_code, zhang), (village_code, None),
                           (second.code, li), (second.code, zhang)):
        h = HouseholdFactory(tier="A", village_id=village)
        if cadre:
            PairingFactory(household=h, cadre=cadre, started_on=D(2026, 1, 1))
        Household.objects.filter(pk=h.pk).update(next_due_on=late)
    HouseholdFactory(tier="A", village_id=village_code)  # not overdue
    user_roles(township_user)  # the request has read the user's roles already
    with django_assert_num_queries(1):
        desk = overdue_summary(township_user, D(2026, 6, 20))
    assert desk.overdue_total == 5
    assert [(r["village_id"], r["n"]) for r in desk.overdue_by_village] == [(village_code, 3), (second.code, 2)]
    assert desk.overdue_by_village[0]["village__name"] == Area.objects.get(code=village_code).name
    assert [(r["cadre"], r["n"]) for r in desk.overdue_by_cadre][0] == ("张敏", 3)
    assert sorted((r["cadre"], r["n"]) for r in desk.overdue_by_cadre) == [("张敏", 3), ("李强", 1), ("（未结对）", 1)]
