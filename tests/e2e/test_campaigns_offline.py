"""Deliveries without a signal (docs/offline.md, docs/campaigns.md): the village committee opens
专项行动待评估 online (the delivery and water forms of its households are kept on the phone),
loses the signal, records a delivery with a signature and two water deliveries in a row; they
wait in the outbox and are stored once each when the signal comes back. Screenshots for the
guides go to docs/guides/img/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Area, Role
from beneficiaries.models import Classification, SelfCare
from campaigns import actions
from campaigns.actions import NeedLine
from campaigns.models import CampaignKind, CampaignNeed, Delivery, Item, NeedSource, WaterDelivery
from tests.conftest import COUNTY, TOWNSHIP
from tests.e2e.conftest import DESKTOP, PHONE, wait_js
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def _both(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)


def _household(village, head, tier, **person):
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2025, 1, 1), village_id=village)
    Classification.objects.create(household=h, tier=tier, criteria=[f"{tier}1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head, **person)
    return h


def _sign(page) -> None:
    page.locator("canvas[data-signature-pad]").scroll_into_view_if_needed()
    box = page.locator("canvas[data-signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 40, steps=5)
    page.mouse.move(box["x"] + 220, box["y"] + 110, steps=5)
    page.mouse.up()


def _outbox_badge(page, n: int) -> None:
    expect(page.get_by_test_id("outbox-badge")).to_have_text(f"待上传 {n}")


def test_a_village_records_deliveries_offline_and_they_arrive_once(phone_page, live_server, login, village_code):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY)
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    user_with_role(Role.VILLAGE_COMMITTEE, village_code, username="cunwei_o", real_name="村委会 侯主任")
    wang = _household(village_code, "王阿婆", "A")
    long_ = _household(village_code, "龙阿婆", "B", self_care=SelfCare.NONE)
    winter = actions.campaign_declare(
        actor=county, kind=CampaignKind.WINTER, name="雷山县冬春救助", area=Area.objects.get(code=COUNTY),
        starts_on=today - dt.timedelta(days=6), ends_on=today + dt.timedelta(days=110),
        assess_by=today + dt.timedelta(days=13), tiers=["A"], today=today)
    actions.assessment_record(actor=township, row=winter.households.get(household=wang), assessed_on=today,
                              today=today, data=actions.AssessmentInput(grain_short_days=0, clothing_sets=2,
                                                                        heating_source="coal", heating_enough=True))
    need = CampaignNeed.objects.get(item=Item.CLOTHING)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, 2, NeedSource.RESERVE_FUND)], today=today)
    water = actions.campaign_declare(
        actor=county, kind=CampaignKind.WATER, name="雷山县季节性缺水送水", area=Area.objects.get(code=COUNTY),
        starts_on=today - dt.timedelta(days=3), ends_on=today + dt.timedelta(days=30), assess_by=today,
        tiers=[], limited_mobility_tiers=["B"], water_every_days=5, today=today - dt.timedelta(days=3))
    row = water.households.get(household=long_)

    page, context = phone_page, phone_page.context
    login(page, "cunwei_o")
    page.goto(f"{live_server.url}/campaigns/todo/")
    wait_js(page, "navigator.serviceWorker.controller !== null && document.documentElement.dataset.offlineReady")
    expect(page.get_by_test_id("offline-state")).to_have_text("已保存 2 张登记表，离线可用")

    context.set_offline(True)
    page.goto(f"{live_server.url}/campaigns/todo/")  # from the phone
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    page.get_by_test_id("to-deliver").get_by_role("link").filter(has_text="衣被").click()
    page.get_by_role("textbox", name="领取人").fill("王阿婆")
    expect(page.get_by_test_id("offline-banner")).to_be_visible()  # placed above the form: sign after it
    _sign(page)
    expect(page.locator("canvas[data-drawn='1']")).to_have_count(1)
    page.get_by_role("button", name="保存发放记录").click()
    expect(page.get_by_test_id("offline-form-state")).to_contain_text("已存在本机，待上传")
    _outbox_badge(page, 1)
    expect(page.get_by_test_id("outbox-badge")).to_have_attribute("href", "/campaigns/todo/")
    _both(page, "campaign-deliver-offline")

    page.goto(f"{live_server.url}/campaigns/households/{row.pk}/water/")  # from the phone
    tokens = []
    for n, litres in ((1, "150"), (2, "80")):
        token = page.locator('[name="client_token"]').input_value()
        assert token and token not in tokens
        tokens.append(token)
        page.get_by_label("水量(升)").fill(litres)
        page.get_by_label("送水人").fill("村委会 杨师傅")
        page.get_by_role("button", name="登记送水").click()
        _outbox_badge(page, 1 + n)
        expect(page.get_by_label("水量(升)")).to_have_value("")
    expect(page.get_by_test_id("offline-form-state")).to_contain_text("可以继续登记下一条")
    _both(page, "campaign-water-offline")
    assert not Delivery.objects.exists() and not WaterDelivery.objects.exists()

    page.goto(f"{live_server.url}/campaigns/todo/")
    expect(page.get_by_test_id("outbox-entry")).to_have_count(3)
    context.set_offline(False)
    expect(page.get_by_test_id("flash")).to_contain_text("已上传 3 条发放、送水记录", timeout=30_000)
    expect(page.get_by_test_id("outbox-badge")).to_be_hidden()
    _both(page, "campaign-todo-uploaded")

    delivery = Delivery.objects.get()
    assert (delivery.household_id, delivery.quantity, delivery.received_by) == (wang.pk, 2, "王阿婆")
    assert delivery.signature.name.endswith(".png") and str(delivery.client_token) not in tokens
    assert sorted(WaterDelivery.objects.values_list("litres", flat=True)) == [80, 150]
    assert sorted(str(t) for t in WaterDelivery.objects.values_list("client_token", flat=True)) == sorted(tokens)
    row.refresh_from_db()
    assert row.next_water_due_on == today + dt.timedelta(days=5)

    # Online, the same form sends at once and opens the household's page with the server's answer.
    page.goto(f"{live_server.url}/campaigns/households/{row.pk}/water/")
    page.get_by_label("水量(升)").fill("60")
    page.get_by_label("送水人").fill("村委会 杨师傅")
    page.get_by_role("button", name="登记送水").click()
    expect(page.get_by_test_id("flash")).to_have_text("送水记录已保存。")
    expect(page.get_by_test_id("next-water")).to_have_text((today + dt.timedelta(days=5)).isoformat())
    assert WaterDelivery.objects.count() == 3
