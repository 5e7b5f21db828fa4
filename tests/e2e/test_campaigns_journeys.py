"""Journeys of the seasons of care (docs/campaigns.md):
- a county declares a winter–spring relief campaign (冬春救助) for tiers A and B and tier C with
  行动不便;
- a cadre on a phone assesses two households in the visit form, the second with no signal (the
  answers wait in the outbox with the visit and arrive with it);
- the township confirms the needs list; the village records the deliveries with a signature;
  the board shows them delivered;
- a water campaign's missed delivery raises an alert for the township, and the delivery
  closes it.
Screenshots for the guides go to docs/guides/img/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Area, Role
from beneficiaries.models import Classification, Household, SelfCare
from campaigns import actions
from campaigns.models import Campaign, CampaignKind, CampaignNeed, Delivery, NeedStatus, WaterAlert
from tests.conftest import COUNTY, TOWNSHIP
from tests.e2e.conftest import DESKTOP, PHONE, open_menu, wait_js
from tests.e2e.visit_form import answer_checklist
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role
from tests.visits.factories import VisitFactory
from visits.actions import schedule_refresh
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _both(page, name: str) -> None:
    """The page at 390 and 1366 px wide (the phone width first)."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    _shot(page, f"{name}-390.png")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    page.set_viewport_size(DESKTOP)
    _shot(page, f"{name}-1366.png")
    page.set_viewport_size(size)


def _household(cadre, head, tier="A", **person):
    today = timezone.localdate()
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=h, tier=tier, criteria=[f"{tier}1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head, **person)
    if cadre is not None:
        PairingFactory(household=h, cadre=cadre, started_on=dt.date(2025, 1, 1))
        VisitFactory(household=h, visited_on=today - dt.timedelta(days=12), notes="上次走访：身体尚可")
        schedule_refresh(households=Household.objects.filter(pk=h.pk), today=today)
    return h


def _winter(county, today):
    return actions.campaign_declare(
        actor=county, kind=CampaignKind.WINTER, name="雷山县冬春救助", area=Area.objects.get(code=COUNTY),
        starts_on=today - dt.timedelta(days=6), ends_on=today + dt.timedelta(days=110),
        assess_by=today + dt.timedelta(days=13), tiers=["A", "B"], limited_mobility_tiers=["C"], today=today)


def test_a_county_declares_a_winter_campaign(page, live_server, login):
    user_with_role(Role.COUNTY, COUNTY, username="leishan_c", real_name="雷山县 吴科长")
    _household(None, "王阿婆", tier="A")
    _household(None, "李大伯", tier="C", self_care=SelfCare.PARTIAL)
    _household(None, "杨二哥", tier="C")
    today = timezone.localdate()
    login(page, "leishan_c")
    open_menu(page, "救助应急", "专项行动")
    page.get_by_role("link", name="部署专项行动").click()
    page.get_by_label("冬春救助").check()
    page.get_by_label("名称").fill("雷山县冬春救助（寒潮）")
    page.get_by_label("部署区划").select_option(COUNTY)
    page.get_by_label("开始日期").fill(today.isoformat())
    page.get_by_label("结束日期").fill((today + dt.timedelta(days=110)).isoformat())
    page.get_by_label("评估截止日期").fill((today - dt.timedelta(days=1)).isoformat())
    page.locator('input[name="tiers"][value="A"]').check()
    page.locator('input[name="tiers"][value="B"]').check()
    page.locator('input[name="limited_mobility_tiers"][value="C"]').check()
    page.get_by_role("button", name="部署").click()
    expect(page.get_by_text("评估截止日期应在行动期间内")).to_be_visible()
    expect(page.get_by_label("名称")).to_have_value("雷山县冬春救助（寒潮）")
    page.get_by_label("评估截止日期").fill((today + dt.timedelta(days=13)).isoformat())
    page.get_by_role("button", name="部署").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    expect(page.get_by_role("alert").filter(has_text="纳入 2 户")).to_be_visible()
    expect(page.get_by_test_id("total-in_scope")).to_have_text("2")
    assert Campaign.objects.get().households.count() == 2
    page.goto(f"{live_server.url}/campaigns/new/")
    _both(page, "campaign-new")


def test_a_cadre_assesses_two_households_one_of_them_offline(phone_page, live_server, login):
    from tests.e2e.test_offline_capture import _answer, _open_app

    today = timezone.localdate()
    user, cadre = cadre_user("zhangmin_c", name="张敏")
    h1 = _household(cadre, "王阿婆", tier="A")
    h2 = _household(cadre, "杨大伯", tier="B")
    campaign = _winter(user_with_role(Role.COUNTY, COUNTY), today)
    rows = {r.household_id: r.pk for r in campaign.households.all()}
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin_c")
    expect(page.get_by_test_id("campaign-todo")).to_contain_text("2 户待评估")
    expect(page.get_by_test_id("campaign-badge")).to_have_count(2)
    _shot(page, "campaign-cadre-mine-390.png")

    # Online: the first household.
    page.locator(f'[data-code="{h1.code}"]').click()
    expect(page.get_by_test_id("campaign-questions")).to_contain_text("雷山县冬春救助")
    _answer(page, "王阿婆本人")
    p = f"campaign-{rows[h1.pk]}-"
    page.locator(f'input[name="{p}grain_short_days"]').fill("10")
    page.locator(f'input[name="{p}clothing_sets"]').fill("2")
    page.locator(f'select[name="{p}heating_source"]').select_option("wood")
    page.locator(f'input[name="{p}heating_enough"][value="0"]').check()
    page.get_by_test_id("campaign-questions").screenshot(path=str(SHOTS / "campaign-visit-questions-390.png"))
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/"))
    expect(page.get_by_test_id("campaign-badge")).to_have_count(1)

    # No signal: the second household; the answers wait with the visit.
    wait_js(page, "document.documentElement.dataset.offlineReady")
    context.set_offline(True)
    page.goto(f"{live_server.url}/visits/mine/")
    page.locator(f'[data-code="{h2.code}"]').click()
    _answer(page, "杨大伯")
    answer_checklist(page)
    p = f"campaign-{rows[h2.pk]}-"
    page.locator(f'input[name="{p}grain_short_days"]').fill("0")
    page.locator(f'input[name="{p}clothing_sets"]').fill("1")
    page.locator(f'select[name="{p}heating_source"]').select_option("coal")
    page.locator(f'input[name="{p}heating_enough"][value="1"]').check()
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")
    assert campaign.households.get(household=h2).assessed_on is None
    context.set_offline(False)
    wait_js(page, "document.querySelector('[data-testid=outbox-count]')?.textContent === '0'", timeout=30_000)
    row = campaign.households.get(household=h2)
    assert (row.assessed_by, row.clothing_sets, row.heating_source, row.heating_enough) == (user, 1, "coal", True)
    assert campaign.households.filter(assessed_on__isnull=False).count() == 2
    assert Visit.objects.filter(household__in=[h1, h2], recorded_by=user).count() == 2
    assert set(CampaignNeed.objects.filter(household=h1).values_list("item", flat=True)) == {
        "grain", "clothing", "heating"}


def test_the_township_confirms_the_village_delivers_and_the_board_shows_it(browser, live_server, login,
                                                                          village_code):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY, username="leishan_d")
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_d", real_name="西江镇 李干事")
    user_with_role(Role.VILLAGE_COMMITTEE, village_code, username="cunwei_d", real_name="村委会 侯主任")
    h1, h2 = _household(None, "王阿婆"), _household(None, "杨大伯", tier="B")
    campaign = _winter(county, today)
    for h, sets in ((h1, 2), (h2, 1)):
        actions.assessment_record(actor=township, row=campaign.households.get(household=h), assessed_on=today,
                                  today=today, data=actions.AssessmentInput(grain_short_days=0, clothing_sets=sets,
                                                                            heating_source="coal",
                                                                            heating_enough=True))
    actions.donation_record(actor=township, area=Area.objects.get(code=TOWNSHIP), donor="州慈善总会",
                            received_on=today, item="clothing", quantity=10, today=today)

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(desk, "xijiang_d")
    open_menu(desk, "救助应急", "专项行动")
    desk.get_by_text("雷山县冬春救助").click()
    desk.get_by_role("link", name="需求清单", exact=True).click()
    expect(desk.get_by_test_id("needs").locator("tbody tr")).to_have_count(2)
    for need in CampaignNeed.objects.filter(campaign=campaign):
        desk.locator(f'select[name="source-{need.pk}"]').select_option("donation")
    _both(desk, "campaign-needs")
    desk.get_by_test_id("confirm-needs").click()
    expect(desk.get_by_role("alert").filter(has_text="已确认 2 条需求")).to_be_visible()
    assert set(CampaignNeed.objects.values_list("status", flat=True)) == {NeedStatus.CONFIRMED}

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(phone, "cunwei_d")
    open_menu(phone, "救助应急", "专项行动")
    phone.get_by_text("雷山县冬春救助").click()
    phone.get_by_role("link", name="对象名单", exact=True).click()
    for h, name in ((h1, "王阿婆"), (h2, "杨大伯")):
        phone.get_by_role("link", name=h.code).click()
        phone.get_by_role("link", name="登记发放").click()
        phone.get_by_role("textbox", name="领取人").fill(name)
        box = phone.locator("canvas[data-signature-pad]").bounding_box()
        phone.mouse.move(box["x"] + 20, box["y"] + 100)
        phone.mouse.down()
        phone.mouse.move(box["x"] + 120, box["y"] + 40, steps=5)
        phone.mouse.move(box["x"] + 220, box["y"] + 110, steps=5)
        phone.mouse.up()
        if h == h1:
            _both(phone, "campaign-deliver")
        phone.get_by_role("button", name="保存发放记录").click()
        expect(phone.get_by_role("alert").filter(has_text="发放记录已保存")).to_be_visible()
        expect(phone.get_by_test_id("row-deliveries")).to_contain_text(name)
        if h == h1:
            _both(phone, "campaign-row")
        phone.goto(f"{live_server.url}/campaigns/{campaign.pk}/households/")
    assert Delivery.objects.count() == 2 and all(d.signature for d in Delivery.objects.all())

    desk.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(desk.get_by_test_id("total-delivered")).to_have_text("2")
    expect(desk.get_by_test_id("total-needs_confirmed")).to_have_text("2")
    _both(desk, "campaign-board")
    desk.get_by_test_id("board").get_by_role("link", name="2").nth(3).click()
    expect(desk.get_by_test_id("campaign-households").locator("tbody tr")).to_have_count(2)
    desk.goto(f"{live_server.url}/campaigns/stock/")
    expect(desk.get_by_test_id("on-hand")).to_contain_text("西江镇")
    expect(desk.get_by_test_id("on-hand").locator("tbody tr").first).to_contain_text("7")
    _both(desk, "campaign-stock")


def test_a_missed_water_delivery_raises_an_alert_that_the_delivery_closes(page, live_server, login):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY)
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_w", real_name="西江镇 李干事")
    h = _household(None, "龙阿婆", tier="B", self_care=SelfCare.NONE)
    campaign = actions.campaign_declare(
        actor=county, kind=CampaignKind.WATER, name="雷山县季节性缺水送水", area=Area.objects.get(code=COUNTY),
        starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=30), assess_by=today,
        tiers=[], limited_mobility_tiers=["A", "B", "C"], water_every_days=5, today=today - dt.timedelta(days=10))
    assert actions.campaigns_daily(today=today)["alerts"] == 1  # due ten days ago, nothing delivered
    login(page, "xijiang_w")
    open_menu(page, "救助应急", "专项行动")
    page.get_by_text("雷山县季节性缺水送水").click()
    expect(page.get_by_test_id("total-overdue")).to_have_text("1")
    _both(page, "campaign-water-board")
    page.get_by_test_id("board").locator("tbody tr").first.locator("a").last.click()
    page.get_by_role("link", name=h.code).click()
    expect(page.get_by_text("尚未登记")).to_be_visible()
    page.get_by_label("水量(升)").fill("150")
    page.get_by_label("送水人").fill("村委会 杨师傅")
    page.get_by_label("接收人").fill("龙阿婆")
    _both(page, "campaign-water-row")
    page.get_by_role("button", name="登记送水").click()
    expect(page.get_by_role("alert").filter(has_text="送水记录已保存")).to_be_visible()
    expect(page.get_by_test_id("next-water")).to_have_text((today + dt.timedelta(days=5)).isoformat())
    assert WaterAlert.objects.get().closed_on == today
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("total-overdue")).to_have_text("0")
    expect(page.get_by_test_id("total-delivered")).to_have_text("1")
