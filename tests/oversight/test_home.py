import pytest
from django.urls import reverse

from accounts.models import Role
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_prefecture_home_compares_all_sixteen_counties(client):
    user = user_with_role(Role.PREFECTURE, "522600000000")
    HouseholdFactory(tier="A")
    HouseholdFactory(tier="B")
    PairingFactory(household=HouseholdFactory(tier="C"))
    client.force_login(user)
    figures = client.get(reverse("home")).context["figures"]
    assert len(figures) == 16
    leishan = next(f for f in figures if f.area.code == COUNTY)
    assert (leishan.households, leishan.tier_a, leishan.tier_b, leishan.tier_c, leishan.paired) == (3, 1, 1, 1, 1)
    assert leishan.paired_percent == 33
    assert sum(f.households for f in figures) == 3


def test_county_home_lists_its_townships(client, django_assert_max_num_queries):
    user = user_with_role(Role.COUNTY, COUNTY)
    HouseholdFactory.create_batch(3)
    client.force_login(user)
    with django_assert_max_num_queries(18):  # the RLS scope (accounts/rls.py), roster figures, the board of visits, findings, referrals, the menu's unread count
        figures = client.get(reverse("home")).context["figures"]
    assert len(figures) == 9
    xijiang = next(f for f in figures if f.area.code == TOWNSHIP)
    assert xijiang.households == 3


def test_township_home_has_no_county_table(client):
    user = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    client.force_login(user)
    assert client.get(reverse("home")).context["figures"] == []


def test_a_cadre_starts_on_my_households_and_a_liaison_on_the_inbox(client):
    from accounts.models import Department
    from tests.factories import cadre_user

    user, _ = cadre_user("home_cadre")
    client.force_login(user)
    assert client.get(reverse("home"))["Location"] == reverse("visits:mine")
    liaison = user_with_role(Role.DEPARTMENT, department=Department.objects.get(code="medical-security"))
    client.force_login(liaison)
    assert client.get(reverse("home"))["Location"] == reverse("services:inbox")
