"""The quarterly review page is paged list by list, and 去认定 returns to the review
(``?next=`` only to this site)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from beneficiaries.models import QuarterlyReview
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory

from .factories import county_officer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
A_FACTS = {"benefit_status": "tekun", "support_mode": "dispersed", "self_care": "none"}


@pytest.fixture
def officer():
    return county_officer(real_name="雷山县民政局 吴科长")


@pytest.fixture
def review(officer):
    from accounts.models import Area
    from tests.conftest import COUNTY

    return QuarterlyReview.objects.create(county=Area.objects.get(code=COUNTY), year=2026, quarter=2, started_by=officer)


def mismatched(n: int):
    out = []
    for i in range(n):
        hh = HouseholdFactory(code=f"MM{i:03d}", tier="C", criteria=["C1"])
        PersonFactory(household=hh, **A_FACTS)
        PairingFactory(household=hh)
        out.append(hh)
    return out


def test_each_list_is_paged_on_its_own(client, officer, review):
    mismatched(30)
    client.force_login(officer)
    url = reverse("beneficiaries:review_detail", args=[review.pk])
    with time_machine.travel(NOW, tick=False):
        first = client.get(url).content.decode()
        second = client.get(url, {"mismatched": 2}).content.decode()
    assert first.count('data-testid="mismatched-row"') == 25
    assert second.count('data-testid="mismatched-row"') == 5
    assert "第 1/2 页，共 30 条" in first
    assert 'data-testid="count-mismatched">30<' in first  # the summary counts the whole list


def test_classify_from_the_review_returns_to_the_review(client, officer, review):
    (hh,) = mismatched(1)
    client.force_login(officer)
    review_url = reverse("beneficiaries:review_detail", args=[review.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(review_url).content.decode()
        link = f'{reverse("beneficiaries:classify", args=[hh.pk])}?next={review_url.replace("/", "%2F")}%23mismatched'
        assert link in page
        form = client.get(link).content.decode()
        assert 'name="next"' in form
        response = client.post(reverse("beneficiaries:classify", args=[hh.pk]),
                               {"tier": "A", "criteria": ["A1"], "next": review_url + "#mismatched"})
    assert response.status_code == 302 and response["Location"] == review_url + "#mismatched"


def test_next_to_another_site_is_ignored(client, officer, review):
    (hh,) = mismatched(1)
    client.force_login(officer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("beneficiaries:classify", args=[hh.pk]),
                               {"tier": "A", "criteria": ["A1"], "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("beneficiaries:household_detail", args=[hh.pk])
    hh.refresh_from_db()
    assert hh.tier == "A"  # the classification itself went through
