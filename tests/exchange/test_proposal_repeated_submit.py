"""A second press of 同意/不同意 on a proposal lands on the review page with "此操作已完成"."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from beneficiaries.actions import quarterly_review_start
from exchange.actions import proposal_create
from exchange.models import Proposal
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, area, user_with_role

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 16)


def test_deciding_twice_answers_the_review_page_and_decides_once(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_rep")
    county = user_with_role(Role.COUNTY, COUNTY, username="ls_rep")
    household = HouseholdFactory()
    p = proposal_create(actor=township, kind="exit", household=household, reason="income_improved", today=TODAY)
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=TODAY)
    client.force_login(county)
    url = reverse("exchange:proposal_decide", args=[p.pk])
    data = {"review": review.pk, "decision": "accept", "reason": "家庭人均收入已超过低收入标准"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.status_code == 200
    assert again.redirect_chain[-1][0].startswith(reverse("beneficiaries:review_detail", args=[review.pk]))
    page = again.content.decode()
    assert "此操作已完成" in page and "该提议已经作出决定" not in page
    assert Proposal.objects.get(pk=p.pk).status == "accepted"


def test_proposing_twice_answers_the_households_page(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_rep2")
    household = HouseholdFactory()
    client.force_login(township)
    url = reverse("exchange:propose", args=[household.pk, "exit"])
    data = {"reason": "moved_out", "reason_text": "随子女迁往凯里市", "effective_on": ""}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert "请勿重复提出" not in again.content.decode()
    assert Proposal.objects.filter(household=household).count() == 1


def test_revoking_a_token_twice_answers_the_token_list(client):
    from tests.exchange.factories import make_token

    token, _secret = make_token()
    client.force_login(token.created_by)
    url = reverse("exchange:token_revoke", args=[token.pk])
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
