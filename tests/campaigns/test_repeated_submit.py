"""A second press of a campaign's forms lands on the page of what was done with "此操作已完成":
closing early twice, reversing a delivery twice, a delivery form sent twice."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Area
from campaigns import actions
from campaigns.models import Campaign, Delivery, Item, NeedSource
from tests.conftest import TOWNSHIP

from .factories import WINTER_DAY, county_officer, png, winter_campaign
from .test_actions import _confirmed_need

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    at = dt.datetime.combine(WINTER_DAY, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(at, tick=False):
        yield


def test_closing_early_twice_shows_the_board(client):
    county = county_officer()
    campaign = winter_campaign(county)
    client.force_login(county)
    url = reverse("campaigns:close", args=[campaign.pk])
    assert client.post(url, {"reason": "上级通知提前结束"}).status_code == 302
    again = client.post(url, {"reason": "上级通知提前结束"}, follow=True)
    assert again.status_code == 200 and again.redirect_chain[-1][0] == reverse("campaigns:board", args=[campaign.pk])
    assert "此操作已完成" in again.content.decode()
    assert Campaign.objects.get().close_reason == "上级通知提前结束"


def test_a_delivery_sent_twice_and_reversed_twice_is_stored_once(client):
    need, township = _confirmed_need(quantity=3)
    actions.stock_receive(actor=township, area=Area.objects.get(code=TOWNSHIP), item=Item.CLOTHING, quantity=10,
                          occurred_on=WINTER_DAY, source=NeedSource.STOCK, today=WINTER_DAY)
    client.force_login(township)
    url = reverse("campaigns:deliver", args=[need.pk])
    data = {"quantity": 1, "delivered_on": WINTER_DAY.isoformat(), "received_by": "王阿婆",
            "client_token": str(uuid.uuid4())}
    assert client.post(url, {**data, "photo": png()}).status_code == 302
    again = client.post(url, {**data, "photo": png()}, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    delivery = Delivery.objects.get()
    reverse_url = reverse("campaigns:delivery_reverse", args=[delivery.pk])
    client.post(reverse_url, {"reason": "重复登记"})
    again = client.post(reverse_url, {"reason": "重复登记"}, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert Delivery.objects.filter(reverses=delivery).count() == 1


def test_adding_the_same_need_twice_lists_it_once(client):
    from accounts.models import Role
    from campaigns.models import CampaignNeed
    from tests.factories import user_with_role

    from .test_actions import _households

    a, *_ = _households()
    campaign = winter_campaign()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    row = campaign.households.get(household=a)
    client.force_login(township)
    url = reverse("campaigns:need_add", args=[row.pk])
    data = {"item": Item.GRAIN, "quantity": 2, "source": NeedSource.STOCK}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert CampaignNeed.objects.filter(household=a, item=Item.GRAIN).count() == 1
