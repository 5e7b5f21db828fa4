"""The campaign's questions in the cadre's visit form."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import CampaignNeed, Item
from tests.visits.conftest import paired  # noqa: F401  (fixture)
from tests.visits.factories import form_answers
from visits.models import Visit

from .factories import water_campaign, winter_campaign

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _prefix(campaign, household) -> str:
    return f"campaign-{campaign.households.get(household=household).pk}-"


def test_the_visit_form_asks_the_winter_questions_and_stores_them_with_the_visit(client, paired):  # noqa: F811
    household, cadre = paired
    campaign = winter_campaign()
    client.force_login(cadre)
    mine = client.get(reverse("visits:mine")).content.decode()
    assert 'data-testid="campaign-badge"' in mine
    page = client.get(reverse("visits:record", args=[household.pk])).content.decode()
    p = _prefix(campaign, household)
    assert campaign.name in page and f'name="{p}grain_short_days"' in page and f'name="{p}heating_enough"' in page
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(
        visited_on="2026-12-07", **{f"{p}grain_short_days": "8", f"{p}clothing_sets": "1",
                                    f"{p}heating_source": "wood", f"{p}heating_enough": "0"}))
    assert response.status_code == 302
    row = campaign.households.get(household=household)
    assert (row.assessed_on, row.assessed_by, row.grain_short_days, row.heating_enough) == (
        dt.date(2026, 12, 7), cadre, 8, False)
    assert set(CampaignNeed.objects.filter(household=household).values_list("item", flat=True)) == {
        Item.GRAIN, Item.CLOTHING, Item.HEATING}
    assert 'data-testid="campaign-badge"' not in client.get(reverse("visits:mine")).content.decode()


def test_a_half_answered_campaign_refuses_the_visit_and_keeps_what_was_typed(client, paired):  # noqa: F811
    household, cadre = paired
    campaign = winter_campaign()
    client.force_login(cadre)
    p = _prefix(campaign, household)
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(
        visited_on="2026-12-07", notes="看望", **{f"{p}grain_short_days": "8"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "请填写需要的衣被套数" in page and 'value="8"' in page
    assert not Visit.objects.exists()
    assert campaign.households.get(household=household).assessed_on is None


def test_left_blank_the_visit_is_stored_and_the_household_stays_to_assess(client, paired):  # noqa: F811
    household, cadre = paired
    campaign = winter_campaign()
    client.force_login(cadre)
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(visited_on="2026-12-07"))
    assert response.status_code == 302 and Visit.objects.count() == 1
    assert campaign.households.get(household=household).assessed_on is None


def test_the_outbox_post_carries_the_water_answers(client, paired):  # noqa: F811
    household, cadre = paired
    from beneficiaries.models import Person, SelfCare

    Person.objects.filter(household=household).update(self_care=SelfCare.NONE)
    campaign = water_campaign(starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 1, 31),
                              assess_by=dt.date(2026, 12, 15), today=dt.date(2026, 12, 7))
    client.force_login(cadre)
    p = _prefix(campaign, household)
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(
        visited_on="2026-12-06", client_token="6f1c0c3e-8a43-4d55-9b7a-4c0f4a0b8f11", captured_at="2026-12-06T15:00:00+08:00",
        **{f"{p}water_source": "cellar", f"{p}water_days_left": "2", f"{p}can_fetch_water": "0"}),
        HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    row = campaign.households.get(household=household)
    assert (row.assessed_on, row.water_source, row.water_days_left, row.can_fetch_water) == (
        dt.date(2026, 12, 6), "cellar", 2, False)
