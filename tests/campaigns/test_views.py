import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Area, AuditEvent, Role
from campaigns import actions, exports
from campaigns.actions import NeedLine
from campaigns.models import Campaign, CampaignNeed, Delivery, Item, NeedSource, NeedStatus
from tests.conftest import COUNTY, OTHER_COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import png, winter_campaign

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _assessed(township):
    household = HouseholdFactory(tier="A")
    PersonFactory(household=household, name="王阿婆")
    campaign = winter_campaign()
    row = campaign.households.get(household=household)
    actions.assessment_record(
        actor=township, row=row, assessed_on=NOW.date(), today=NOW.date(),
        data=actions.AssessmentInput(grain_short_days=6, clothing_sets=1, heating_source="wood", heating_enough=True))
    return campaign, row


def test_a_county_declares_a_winter_campaign_from_the_form(client):
    HouseholdFactory(tier="A")
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    response = client.post(reverse("campaigns:new"), {
        "kind": "winter", "name": "雷山县冬春救助", "area": COUNTY, "starts_on": "2026-12-01",
        "ends_on": "2027-03-31", "assess_by": "2026-12-20", "tiers": ["A", "B"], "limited_mobility_tiers": ["C"],
        "assessor": "cadre"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:board", args=[campaign.pk])
    assert campaign.households.count() == 1


def test_a_declaration_with_a_deadline_outside_the_period_keeps_what_was_typed(client):
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    response = client.post(reverse("campaigns:new"), {
        "kind": "winter", "name": "雷山县冬春救助", "area": COUNTY, "starts_on": "2026-12-01",
        "ends_on": "2027-03-31", "assess_by": "2027-06-20", "tiers": ["A"], "assessor": "cadre"})
    assert response.status_code == 200
    assert "评估截止日期应在行动期间内" in response.content.decode()
    assert 'value="雷山县冬春救助"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_township_cannot_declare_and_the_page_is_404(client):
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    assert client.get(reverse("campaigns:new")).status_code == 404


def test_board_needs_and_row_pages_are_in_scope_only(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, row = _assessed(township)
    need = CampaignNeed.objects.filter(campaign=campaign).first()
    urls = [reverse("campaigns:board", args=[campaign.pk]), reverse("campaigns:needs", args=[campaign.pk]),
            reverse("campaigns:households", args=[campaign.pk]), reverse("campaigns:row", args=[row.pk]),
            reverse("campaigns:deliver", args=[need.pk])]
    client.force_login(township)
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.force_login(user_with_role(Role.COUNTY, OTHER_COUNTY))
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_the_township_confirms_the_needs_list_with_amounts_and_sources(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, row = _assessed(township)
    grain = CampaignNeed.objects.get(item=Item.GRAIN)
    clothing = CampaignNeed.objects.get(item=Item.CLOTHING)
    client.force_login(township)
    response = client.post(f"{reverse('campaigns:needs', args=[campaign.pk])}?area={TOWNSHIP}", {
        "need": [grain.pk, clothing.pk], f"quantity-{grain.pk}": "5", f"source-{grain.pk}": "stock",
        f"quantity-{clothing.pk}": "1", f"source-{clothing.pk}": "donation"})
    assert response.status_code == 302
    grain.refresh_from_db()
    clothing.refresh_from_db()
    assert (grain.status, grain.quantity, grain.source) == (NeedStatus.CONFIRMED, 5, NeedSource.STOCK)
    assert (clothing.status, clothing.source) == (NeedStatus.CONFIRMED, NeedSource.DONATION)


def test_a_village_records_a_delivery_with_a_signature(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, row = _assessed(township)
    need = CampaignNeed.objects.get(item=Item.GRAIN)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, 3, NeedSource.RESERVE_FUND)], today=NOW.date())
    village = user_with_role(Role.VILLAGE_COMMITTEE, row.household.village_id)
    client.force_login(village)
    url = reverse("campaigns:deliver", args=[need.pk])
    response = client.post(url, {"quantity": "3", "delivered_on": "2026-12-07", "received_by": "王阿婆"})
    assert response.status_code == 200 and "请拍摄发放照片或请领取人签名" in response.content.decode()
    response = client.post(url, {"quantity": "3", "delivered_on": "2026-12-07", "received_by": "王阿婆",
                                 "signature": png("signature.png")})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.signature.name.endswith(".png") and delivery.quantity == 3


def test_export_headers_are_the_bureaus(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, row = _assessed(township)
    need = CampaignNeed.objects.get(item=Item.GRAIN)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, 3, NeedSource.STOCK)], today=NOW.date())
    actions.stock_receive(actor=township, area=Area.objects.get(code=TOWNSHIP), item=Item.GRAIN, quantity=50,
                          occurred_on=NOW.date(), source=NeedSource.STOCK, today=NOW.date())
    actions.delivery_record(actor=township, need=need, quantity=3, delivered_on=NOW.date(), received_by="王阿婆",
                            signature=png("s.png"), today=NOW.date())
    client.force_login(township)
    cases = [
        (reverse("campaigns:needs_xlsx", args=[campaign.pk]), exports.NEEDS_HEADERS, "需求清单"),
        (reverse("campaigns:deliveries_xlsx", args=[campaign.pk]), exports.DELIVERY_HEADERS, "发放台账"),
        (reverse("campaigns:stock_xlsx"), exports.STOCK_HEADERS, "物资台账"),
    ]
    assert exports.NEEDS_HEADERS == ["序号", "县(市)", "乡镇(街道)", "村(居)", "户编号", "户主", "类别", "物资", "数量",
                                     "单位", "来源", "状态", "已发放", "确认人", "确认日期"]
    assert exports.DELIVERY_HEADERS[10:14] == ["发放日期", "领取人", "领取人签名", "发放照片"]
    assert exports.STOCK_HEADERS[6:9] == ["入库", "出库", "结存"]
    for url, headers, title in cases:
        response = client.get(url)
        assert response.status_code == 200, url
        ws = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                      else response.content)).active
        rows = list(ws.iter_rows(values_only=True))
        assert title in rows[0][0]
        assert list(rows[1]) == headers
        assert len(rows) >= 3
    delivery_rows = list(load_workbook(io.BytesIO(client.get(cases[1][0]).content)).active.iter_rows(values_only=True))
    assert delivery_rows[2][11] == "王阿婆" and delivery_rows[2][12].endswith(".png")
    assert AuditEvent.objects.filter(action="export", object_type="campaigns.delivery_ledger").exists()


def test_a_donation_of_goods_is_registered_and_shown_on_the_stock_page(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    client.force_login(township)
    response = client.post(reverse("campaigns:stock"), {
        "form": "donation", "d-area": TOWNSHIP, "d-donor": "爱心企业", "d-received_on": "2026-12-07",
        "d-item": "clothing", "d-quantity": "20"})
    assert response.status_code == 302
    page = client.get(reverse("campaigns:stock")).content.decode()
    assert "爱心企业" in page and "20" in page


def test_the_board_and_the_needs_list_take_the_same_queries_for_more_households(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, _row = _assessed(township)
    client.force_login(township)
    urls = [reverse("campaigns:board", args=[campaign.pk]), reverse("campaigns:needs", args=[campaign.pk]),
            reverse("campaigns:households", args=[campaign.pk])]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    counts()  # the first request after the login also stores the session
    before = counts()
    for _ in range(5):
        h = HouseholdFactory(tier="B")
        PersonFactory(household=h)
    actions.campaign_scope_refresh(campaign=campaign, today=NOW.date())
    for row in campaign.households.filter(assessed_on__isnull=True):
        actions.assessment_record(actor=township, row=row, assessed_on=NOW.date(), today=NOW.date(),
                                  data=actions.AssessmentInput(grain_short_days=3, clothing_sets=1,
                                                               heating_source="coal", heating_enough=False))
    assert counts() == before


def test_the_household_page_shows_the_stored_answers_and_the_village_can_assess_there(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign, row = _assessed(township)
    client.force_login(township)
    page = client.get(reverse("campaigns:row", args=[row.pk])).content.decode()
    import re

    radios = {re.search(r'value="(\d)"', tag).group(1): "checked" in tag
              for tag in re.findall(r'<input[^>]*name="a-heating_enough"[^>]*>', page)}
    assert radios == {"1": True, "0": False}
    other = campaign.households.exclude(pk=row.pk).first() or row
    village = user_with_role(Role.VILLAGE_COMMITTEE, other.household.village_id)
    client.force_login(village)
    response = client.post(reverse("campaigns:row", args=[other.pk]), {
        "a-grain_short_days": "0", "a-clothing_sets": "3", "a-heating_source": "electric", "a-heating_enough": "0"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.clothing_sets, other.heating_enough, other.assessed_by) == (3, False, village)
