"""The outbox's contract for deliveries and water deliveries (docs/offline.md): JSON answers,
a token stored once, the pages kept for offline use listed on the to-do page."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from campaigns import actions
from campaigns.actions import NeedLine
from campaigns.models import CampaignNeed, Delivery, Item, NeedSource, WaterDelivery
from tests.conftest import OTHER_COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import png, water_campaign, winter_campaign

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _confirmed_need():
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    household = HouseholdFactory(tier="A")
    PersonFactory(household=household, name="王阿婆")
    campaign = winter_campaign()
    row = campaign.households.get(household=household)
    actions.assessment_record(
        actor=township, row=row, assessed_on=NOW.date(), today=NOW.date(),
        data=actions.AssessmentInput(grain_short_days=6, clothing_sets=1, heating_source="wood", heating_enough=True))
    need = CampaignNeed.objects.get(item=Item.GRAIN)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, 5, NeedSource.RESERVE_FUND)], today=NOW.date())
    return need, row


def test_a_delivery_sent_twice_with_one_token_is_stored_once(client):
    need, row = _confirmed_need()
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, row.household.village_id))
    url = reverse("campaigns:deliver", args=[need.pk])
    token = str(uuid.uuid4())
    data = {"quantity": "2", "delivered_on": "2026-12-07", "received_by": "王阿婆", "client_token": token}
    first = client.post(url, {**data, "signature": png("signature.png")}, **JSON)
    assert first.status_code == 201
    body = first.json()
    assert body["ok"] and body["created"] and body["client_token"] == token
    assert body["redirect"] == reverse("campaigns:row", args=[row.pk]) and body["household_name"] == "王阿婆"
    again = client.post(url, {**data, "signature": png("signature.png")}, **JSON)
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["id"] == body["id"]
    assert Delivery.objects.count() == 1
    need.refresh_from_db()
    assert need.delivered == 2


def test_a_delivery_without_proof_is_answered_400_and_nothing_is_stored(client):
    need, row = _confirmed_need()
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, row.household.village_id))
    response = client.post(reverse("campaigns:deliver", args=[need.pk]), {
        "quantity": "9", "delivered_on": "2026-12-07", "received_by": "王阿婆", "client_token": str(uuid.uuid4())},
        **JSON)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "请拍摄发放照片或请领取人签名" in errors["photo"][0] and "1 至 5" in errors["quantity"][0]
    assert not Delivery.objects.exists()


def test_outside_the_scope_404_and_without_a_session_401(client):
    need, row = _confirmed_need()
    url = reverse("campaigns:deliver", args=[need.pk])
    data = {"quantity": "1", "delivered_on": "2026-12-07", "received_by": "王阿婆", "client_token": str(uuid.uuid4())}
    assert client.post(url, data, **JSON).status_code == 401
    client.force_login(user_with_role(Role.COUNTY, OTHER_COUNTY))
    assert client.post(url, data, **JSON).status_code == 404
    assert client.post(reverse("campaigns:water_new", args=[row.pk]), data, **JSON).status_code == 404


def test_water_deliveries_two_in_a_row_and_a_replay():
    from django.test import Client

    with time_machine.travel(dt.datetime(2026, 7, 10, 10, 0, tzinfo=NOW.tzinfo), tick=False):
        household = HouseholdFactory(tier="B")
        PersonFactory(household=household, name="龙阿婆", self_care="none")
        campaign = water_campaign()
        row = campaign.households.get(household=household)
        client = Client()
        client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, household.village_id))
        url = reverse("campaigns:water_new", args=[row.pk])
        page = client.get(url)
        assert page.status_code == 200 and 'name="client_token"' in page.content.decode()
        tokens = [str(uuid.uuid4()), str(uuid.uuid4())]
        for day, token in (("2026-07-09", tokens[0]), ("2026-07-10", tokens[1]), ("2026-07-10", tokens[1])):
            response = client.post(url, {"delivered_on": day, "litres": "150", "delivered_by": "杨师傅",
                                         "client_token": token}, **JSON)
            assert response.status_code in (200, 201) and response.json()["client_token"] == token
        assert response.status_code == 200
        assert sorted(str(t) for t in WaterDelivery.objects.values_list("client_token", flat=True)) == sorted(tokens)
        row.refresh_from_db()
        assert row.next_water_due_on == dt.date(2026, 7, 17)
        bad = client.post(url, {"delivered_on": "2026-07-11", "litres": "150", "delivered_by": "",
                                "client_token": str(uuid.uuid4())}, **JSON)
        assert bad.status_code == 400 and set(bad.json()["errors"]) == {"delivered_by"}


def test_the_to_do_page_lists_the_delivery_forms_to_keep(client, other_village_code):
    need, row = _confirmed_need()
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, row.household.village_id))
    html = client.get(reverse("campaigns:todo")).content.decode()
    assert "data-offline-keep" in html and reverse("campaigns:deliver", args=[need.pk]) in html
    assert "还需 5" in html
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, other_village_code))
    assert reverse("campaigns:deliver", args=[need.pk]) not in client.get(reverse("campaigns:todo")).content.decode()
