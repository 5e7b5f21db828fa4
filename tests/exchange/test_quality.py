"""Data quality per area: each check a count and a list, in the user's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from beneficiaries.models import Household
from exchange.queries import quality_checks
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, id_number_for, user_with_role
from visits.models import Visit

pytestmark = pytest.mark.django_db


def visit(household, on, user, counted=True):
    return Visit.objects.create(household=household, visited_on=on, counted=counted, visitor_name="干部",
                                recorded_by=user)


def _ids(checks, key):
    return {r.pk for r in next(c for c in checks if c.key == key).rows}


def test_each_check_finds_its_rows_and_only_them(db):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY)
    born = dt.date(1960, 5, 5)
    a, b = HouseholdFactory(), HouseholdFactory()
    twin_a = PersonFactory(household=a, name="杨阿妹", birth_date=born, id_number=id_number_for(11, born, sex="F"),
                           sex="F")
    twin_b = PersonFactory(household=b, name="杨阿妹", birth_date=born, id_number=id_number_for(13, born, sex="F"),
                           sex="F")
    PersonFactory(household=HouseholdFactory(), name="杨阿妹")  # another birth date: not the same person
    child_born = today.replace(year=today.year - 8)
    child = PersonFactory(household=a, relation="child", birth_date=child_born,
                          id_number=id_number_for(21, child_born), work_capacity="able")
    PersonFactory(household=b, relation="child", birth_date=child_born - dt.timedelta(days=1),
                  id_number=id_number_for(23, child_born - dt.timedelta(days=1)), work_capacity="na")
    dead = HouseholdFactory(status="exited", exited_on=today - dt.timedelta(days=20), exit_reason="死亡")
    moved = HouseholdFactory(status="exited", exited_on=today - dt.timedelta(days=20), exit_reason="迁出")
    visit(dead, today - dt.timedelta(days=5), county)
    visit(moved, today - dt.timedelta(days=5), county)
    visit(a, today - dt.timedelta(days=10), county)
    visit(b, today - dt.timedelta(days=100), county)
    visit(b, today - dt.timedelta(days=3), county, counted=False)  # a phone call outside a special period
    Household.objects.filter(pk__in=[a.pk, b.pk]).update(created_at=timezone.now() - dt.timedelta(days=200))

    checks = quality_checks(county, area(COUNTY), today=today)
    assert _ids(checks, "two_households") == {twin_a.pk, twin_b.pk}
    assert _ids(checks, "two_numbers") == {twin_a.pk, twin_b.pk}  # the factory's village is the same
    assert _ids(checks, "child_able") == {child.pk}
    assert _ids(checks, "after_death") == {dead.pk}
    assert b.pk in _ids(checks, "quiet") and a.pk not in _ids(checks, "quiet")
    # Households registered within 90 days are not "quiet" yet.
    assert not (_ids(checks, "quiet") - {b.pk})


def test_the_page_shows_counts_and_a_list_and_is_404_outside_the_area(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    born = dt.date(2019, 1, 1)
    PersonFactory(household=HouseholdFactory(), relation="head", birth_date=born, id_number=id_number_for(41, born),
                  work_capacity="able")
    client.force_login(township)
    r = client.get(reverse("exchange:quality"), {"list": "child_able"})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="count-child_able">1<' in html
    assert html.count('data-testid="quality-row"') == 1
    assert AuditEvent.objects.filter(object_type="exchange.quality", actor=township).exists()
    for outside in (OTHER_TOWNSHIP, OTHER_COUNTY):
        assert client.get(reverse("exchange:quality"), {"area": outside}).status_code == 404
    cadre = user_with_role(Role.CADRE, "522634101001")
    client.force_login(cadre)
    assert client.get(reverse("exchange:quality")).status_code == 404
