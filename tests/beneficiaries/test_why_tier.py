"""为什么 for the tier suggestion: the criteria met, the members and facts behind them, the rule."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent, Role
from beneficiaries import rules
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, user_with_role

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def test_criteria_members_name_who_meets_each_criterion():
    elder = rules.MemberFacts(birth_date=dt.date(1940, 1, 1), benefit_status="tekun", support_mode="dispersed",
                              self_care="partial")
    ill = rules.MemberFacts(birth_date=dt.date(1970, 1, 1), benefit_status="dibao", serious_illness=True,
                            work_capacity="none", is_main_earner=True)
    well = rules.MemberFacts(birth_date=dt.date(1975, 1, 1), benefit_status="dibao")
    assert rules.criteria_members([elder, ill, well], TODAY) == {"A1": [0], "B1": [1]}
    assert rules.criteria_members([well], TODAY) == {}
    # The same criteria as the suggestion's, always.
    assert set(rules.criteria_members([elder, ill, well], TODAY)) == set(rules.suggest([elder, ill, well], TODAY).all_met)


@time_machine.travel(dt.datetime(2026, 11, 20, 10), tick=False)
def test_the_page_shows_the_criteria_the_facts_and_the_rule(client, village_code):
    household = HouseholdFactory(village=area(village_code))
    PersonFactory(household=household, name="龙奶奶", relation="head", birth_date=dt.date(1940, 2, 15),
                  benefit_status="tekun", support_mode="dispersed", self_care="partial")
    PersonFactory(household=household, name="龙二", relation="child", birth_date=dt.date(1970, 3, 1),
                  benefit_status="dibao", serious_illness=True, work_capacity="none", is_main_earner=True)
    user = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="why_tier_t")
    client.force_login(user)
    detail = client.get(reverse("beneficiaries:household_detail", args=[household.pk])).content.decode()
    assert reverse("beneficiaries:why_tier", args=[household.pk]) in detail
    page = client.get(reverse("beneficiaries:why_tier", args=[household.pk])).content.decode()
    assert "A类 A1" in page
    assert "龙奶奶：保障类别：特困；供养方式：分散供养；自理能力：半失能" in page
    assert "B1" in page and "较低类别，未采用" in page and "龙二：保障类别：低保；主要劳动力：是" in page
    assert "符合多类时取最高类别" in page
    assert AuditEvent.objects.filter(actor=user, details__page="why_tier").count() == 1


def test_outside_the_area_is_not_found(client, village_code):
    household = HouseholdFactory(village=area(village_code))
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="why_tier_o"))
    assert client.get(reverse("beneficiaries:why_tier", args=[household.pk])).status_code == 404
