"""Entry, exit and re-entry are decisions (§5(4)): a village or township proposes with a reason from
the fixed list; the county decides in the quarterly review; only the decision changes the roster."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from beneficiaries.actions import quarterly_review_start
from beneficiaries.models import Household, Person
from exchange.actions import proposal_create
from exchange.models import Proposal
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, id_number_for, user_with_role

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 16)


@pytest.fixture
def township():
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_prop")


@pytest.fixture
def county():
    return user_with_role(Role.COUNTY, COUNTY, username="ls_prop")


def test_the_townships_exit_page_is_a_proposal_and_the_household_stays_on_the_roster(client, township):
    household = HouseholdFactory()
    PersonFactory(household=household)
    client.force_login(township)
    r = client.get(reverse("beneficiaries:household_exit", args=[household.pk]), follow=True)
    assert "申请退出花名册" in r.content.decode()
    url = reverse("exchange:propose", args=[household.pk, "exit"])
    r = client.post(url, {"reason": "other", "reason_text": ""})
    assert "选择“其他”时请填写具体理由" in r.content.decode()
    r = client.post(url, {"reason": "moved_out", "reason_text": "随子女迁往外省"})
    assert r.status_code == 302
    p = Proposal.objects.get()
    assert (p.kind, p.reason, p.status, p.county_id) == ("exit", "moved_out", "pending", COUNTY)
    assert Household.objects.get(pk=household.pk).status == "active"
    # The same proposal twice waits once: the second press lands on the household's page.
    r = client.post(url, {"reason": "moved_out", "reason_text": "again"}, follow=True)
    assert "此操作已完成" in r.content.decode() and Proposal.objects.count() == 1


def test_a_household_outside_the_proposers_area_is_404(client):
    other = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    household = HouseholdFactory()
    client.force_login(other)
    assert client.get(reverse("exchange:propose", args=[household.pk, "exit"])).status_code == 404


def test_re_entry_only_for_an_exited_household_and_cadres_propose_nothing(township):
    household = HouseholdFactory()
    with pytest.raises(ValidationError, match="无需恢复"):
        proposal_create(actor=township, kind="reentry", household=household, reason="meets_criteria", today=TODAY)
    cadre = user_with_role(Role.CADRE, household.village_id)
    with pytest.raises(PermissionDenied):
        proposal_create(actor=cadre, kind="exit", household=household, reason="death", today=TODAY)


def test_an_entry_is_proposed_with_the_head_and_created_only_when_the_county_accepts(client, township, county):
    number = id_number_for(31, dt.date(1946, 4, 1))
    client.force_login(township)
    village = area(TOWNSHIP).descendants().order_by("code").first()
    r = client.post(reverse("exchange:propose_entry"), {
        "village": village.code, "household_code": "XJ-NEW-1", "name": "龙婆婆", "id_number": number,
        "address": "三组", "reason": "meets_criteria", "reason_text": ""})
    assert r.status_code == 302, r.content.decode()
    assert not Household.objects.filter(code="XJ-NEW-1").exists()
    p = Proposal.objects.get()
    assert p.id_masked != number and "*" in p.id_masked

    review = quarterly_review_start(actor=county, county=area(COUNTY), today=TODAY)
    client.force_login(county)
    page = client.get(reverse("beneficiaries:review_detail", args=[review.pk])).content.decode()
    assert "龙婆婆" in page and number not in page
    r = client.post(reverse("exchange:proposal_decide", args=[p.pk]),
                    {"review": review.pk, "decision": "accept", "reason": "入户核实，符合A3"})
    assert r.status_code == 302 and r.url.endswith("#proposals")
    household = Household.objects.get(code="XJ-NEW-1")
    assert Person.objects.get(household=household).id_number == number
    p.refresh_from_db()
    assert (p.status, p.review, p.decided_by) == ("accepted", review, county)
    page = client.get(reverse("beneficiaries:review_detail", args=[review.pk])).content.decode()
    assert "入户核实，符合A3" in page


def test_a_decision_without_a_reason_keeps_nothing_and_says_so(client, township, county):
    household = HouseholdFactory()
    p = proposal_create(actor=township, kind="exit", household=household, reason="income_improved", today=TODAY)
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=TODAY)
    client.force_login(county)
    r = client.post(reverse("exchange:proposal_decide", args=[p.pk]),
                    {"review": review.pk, "decision": "accept", "reason": ""}, follow=True)
    assert "请选择同意或不同意，并填写决定理由" in r.content.decode()
    assert Household.objects.get(pk=household.pk).status == "active"
    r = client.post(reverse("exchange:proposal_decide", args=[p.pk]),
                    {"review": review.pk, "decision": "accept", "reason": "家庭人均收入已超过低收入标准"})
    household.refresh_from_db()
    assert household.status == "exited" and household.exit_reason == "收入改善"


def test_the_township_cannot_reach_the_decision(client, township):
    household = HouseholdFactory()
    p = proposal_create(actor=township, kind="exit", household=household, reason="death", today=TODAY)
    client.force_login(township)
    assert client.post(reverse("exchange:proposal_decide", args=[p.pk]),
                       {"review": 1, "decision": "accept", "reason": "x"}).status_code == 404


def test_the_admin_never_shows_a_waiting_entrys_full_id_number(client, township):
    from tests.factories import UserFactory

    number = id_number_for(57, dt.date(1950, 2, 2))
    village = area(TOWNSHIP).descendants().order_by("code").first()
    p = proposal_create(actor=township, kind="entry", village=village, name="龙某", id_number=number,
                        household_code="XJ-ADM-1", reason="meets_criteria", today=TODAY)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for url in (reverse("admin:exchange_proposal_changelist"), reverse("admin:exchange_proposal_change", args=[p.pk])):
        r = client.get(url)
        assert r.status_code == 200 and number not in r.content.decode()
