"""Journeys of assistance and emergencies:
- a village committee raises urgent help on a phone, the township pays it at once on the fast
  track (先行救助) from the county reserve fund, and the county reviews it afterwards;
- a county declares a flood for two townships; two cadres mark their households on phones, one of
  them with no signal (the marks wait as 待上传 and go when the signal returns, twice in a row);
  the board shows who is still unknown."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Area, Role
from assistance.models import ApplicationStatus, AssistanceApplication, ReserveFund, RollCall
from tests.assistance.factories import funded, household
from tests.conftest import COUNTY, TOWNSHIP
from tests.e2e.conftest import DESKTOP, PHONE, open_menu, wait_js
from tests.factories import PairingFactory, cadre_user, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_urgent_help_is_paid_on_the_fast_track_and_reviewed_by_the_county(browser, live_server, login,
                                                                         village_code):
    user_with_role(Role.VILLAGE_COMMITTEE, village_code, username="cunwei_a", real_name="村委会 侯主任")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_a", real_name="西江镇 李干事")
    county = user_with_role(Role.COUNTY, COUNTY, username="leishan_a", real_name="雷山县 吴科长")
    funded(county, 2_000_000)
    home = household(village_code, head="杨阿公")

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(phone, "cunwei_a")
    open_menu(phone, "救助应急", "救助申请")
    phone.get_by_role("link", name="提出救助申请").click()
    phone.get_by_label("家庭").select_option(str(home.pk))
    phone.get_by_label("救助类型").select_option("urgent")
    phone.get_by_label("申请金额(元)").fill("八百")
    phone.get_by_label("申请事由").fill("夜间厨房失火，口粮和衣被烧毁")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_text("请输入正确的金额")).to_be_visible()
    expect(phone.get_by_label("申请事由")).to_have_value("夜间厨房失火，口粮和衣被烧毁")
    phone.get_by_label("申请金额(元)").fill("800")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_test_id("status")).to_have_text("待乡镇审核")
    _shot(phone, "assistance-application-phone.png")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.context.close()

    township = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(township, "xijiang_a")
    open_menu(township, "救助应急", "救助申请")
    township.get_by_test_id("application-row").first.click()
    fast = township.get_by_test_id("fast-pay")
    fast.get_by_label("发放方式").select_option("cash")
    fast.get_by_role("button", name="先行发放").click()
    expect(township.get_by_test_id("status")).to_have_text("先行救助已发放·待县级复核")
    expect(township.get_by_test_id("payment")).to_contain_text("800.00")
    township.context.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(desk, "leishan_a")
    open_menu(desk, "救助应急", "救助申请")
    desk.get_by_test_id("status-filter").get_by_role("link", name=re.compile("先行救助已发放")).click()
    desk.get_by_test_id("application-row").first.click()
    review = desk.get_by_test_id("review")
    review.get_by_role("radio", name="同意", exact=True).check()
    review.get_by_label("复核意见").fill("经核实情况属实")
    review.get_by_role("button", name="提交复核").click()
    expect(desk.get_by_test_id("status")).to_have_text("先行救助·县级已复核")
    expect(desk.get_by_test_id("timeline")).to_contain_text("复核同意：经核实情况属实")
    _shot(desk, "assistance-application-desk.png")
    open_menu(desk, "救助应急", "救助备用金")
    desk.get_by_role("link", name=re.compile("雷山县")).click()
    expect(desk.get_by_test_id("balance")).to_have_text("19,200.00")
    desk.context.close()

    app = AssistanceApplication.objects.get()
    assert app.status == ApplicationStatus.REVIEWED and app.approved_amount_fen == 80_000
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 2_000_000 - 80_000


def test_a_flood_roll_call_on_phones_one_offline_and_the_board_shows_who_is_unknown(browser, live_server, login):
    villages = list(Area.objects.filter(parent_id=TOWNSHIP).order_by("code").values_list("code", flat=True)[:2])
    user_with_role(Role.COUNTY, COUNTY, username="leishan_f", real_name="雷山县 吴科长")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_f", real_name="西江镇 李干事")
    zhang, zhang_cadre = cadre_user("ganbu_zhang", home_village_id=villages[0])
    wang, wang_cadre = cadre_user("ganbu_wang", home_village_id=villages[1])
    zhang_homes = [household(villages[0]) for _ in range(2)]
    wang_homes = [household(villages[1]) for _ in range(3)]
    for h in zhang_homes:
        PairingFactory(household=h, cadre=zhang_cadre)
    for h in wang_homes:
        PairingFactory(household=h, cadre=wang_cadre)
    household(villages[1])  # nobody's pair: stays unknown

    county = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(county, "leishan_f")
    open_menu(county, "救助应急", "应急事件")
    county.get_by_role("link", name="宣布应急事件").click()
    county.get_by_label("事件类型").select_option("flood")
    county.get_by_label("事件名称").fill("11·30 强降雨洪涝")
    county.get_by_label("西江镇").check()
    county.get_by_label("丹江镇").check()
    county.get_by_label("同时宣布为特殊时期（电话、视频走访计入有效走访）").check()
    county.get_by_role("button", name="宣布").click()
    expect(county.get_by_test_id("total-total")).to_have_text("6")
    expect(county.get_by_test_id("total-unknown")).to_have_text("6")
    event_url = county.url

    # 张 has signal.
    online = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login(online, "ganbu_zhang")
    open_menu(online, "救助应急", "应急事件")
    online.wait_for_url("**/emergencies/")  # the list has loaded before its link is looked for
    online.get_by_role("link", name="点名核查").first.click()
    online.wait_for_url("**/roll-call/")
    cards = online.get_by_test_id("rollcall-household")
    expect(cards).to_have_count(2)
    cards.nth(0).get_by_role("button", name="安全").click()
    expect(cards.nth(0).locator("[data-role=current]")).to_contain_text("安全")
    cards.nth(1).get_by_placeholder("说明（可不填）").fill("屋后山体开裂")
    cards.nth(1).get_by_role("button", name="需转移").click()
    expect(cards.nth(1).locator("[data-role=current]")).to_contain_text("需转移")
    wait_js(online, "() => !document.querySelector('.rollcall-pending')")
    expect(online.get_by_test_id("rollcall-outbox")).to_be_hidden()
    assert RollCall.objects.filter(checked_by=zhang).count() == 2
    _shot(online, "assistance-rollcall-phone.png")
    assert online.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # 王 opens the page, then loses the signal and marks two households, twice in a row.
    offline = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone = offline.new_page()
    login(phone, "ganbu_wang")
    open_menu(phone, "救助应急", "应急事件")
    phone.wait_for_url("**/emergencies/")  # the list has loaded before its link is looked for
    phone.get_by_role("link", name="点名核查").first.click()
    phone.wait_for_url("**/roll-call/")
    cards = phone.get_by_test_id("rollcall-household")
    expect(cards).to_have_count(3)
    offline.set_offline(True)
    cards.nth(0).get_by_role("button", name="失联").click()
    cards.nth(1).get_by_role("button", name="已转移安置").click()
    expect(phone.get_by_test_id("rollcall-outbox")).to_have_text("待上传 2")
    expect(cards.nth(0).locator("[data-role=current]")).to_contain_text("待上传")
    assert RollCall.objects.filter(checked_by=wang).count() == 0
    offline.set_offline(False)
    expect(phone.get_by_test_id("rollcall-outbox")).to_be_hidden()
    assert RollCall.objects.filter(checked_by=wang).count() == 2
    # The same again: found the missing family later, still no signal.
    offline.set_offline(True)
    cards.nth(0).get_by_role("button", name="安全").click()
    expect(phone.get_by_test_id("rollcall-outbox")).to_have_text("待上传 1")
    offline.set_offline(False)
    expect(phone.get_by_test_id("rollcall-outbox")).to_be_hidden()
    assert RollCall.objects.filter(checked_by=wang).count() == 3

    county.goto(event_url)
    expect(county.get_by_test_id("total-unknown")).to_have_text("2")
    expect(county.get_by_test_id("total-safe")).to_have_text("2")
    expect(county.get_by_test_id("total-unreachable")).to_have_text("0")
    expect(county.get_by_test_id("listed-household")).to_have_count(2)
    expect(county.get_by_test_id("listed")).to_contain_text(wang_homes[2].code)
    _shot(county, "assistance-board-desk.png")
    for ctx in (county.context, online.context, offline):
        ctx.close()


def test_a_house_hazard_from_a_visit_goes_on_the_housing_ledger_and_into_renovation(browser, live_server, login,
                                                                                     village_code):
    import datetime as dt

    from assistance.models import HousingCase
    from tests.visits.factories import VisitFactory

    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_h", real_name="西江镇 李干事")
    home = household(village_code, head="杨阿婆")
    VisitFactory(household=home, visited_on=dt.date(2026, 11, 20), house_safety="hazard")
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desk")):
        page = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
        login(page, "xijiang_h")
        open_menu(page, "救助应急", "清单成效")
        if name == "phone":
            page.get_by_test_id("housing-candidates").get_by_role("button", name="纳入危房台账").click()
            expect(page.get_by_test_id("housing-case")).to_contain_text(home.code)
            page.get_by_test_id("housing-case").first.click()
            page.get_by_label("鉴定等级").select_option("B")
            page.get_by_label("鉴定日期").fill("2026-11-25")
            page.get_by_label("状态").select_option("planned")
            page.get_by_label("改造年度").fill("2027")
            page.get_by_role("button", name="保存").click()
            expect(page.get_by_text("只有鉴定为C级、D级危房的才能纳入改造。")).to_be_visible()
            expect(page.get_by_label("改造年度")).to_have_value("2027")
            page.get_by_label("鉴定等级").select_option("D")
            page.get_by_role("button", name="保存").click()
            expect(page.get_by_test_id("housing-case")).to_contain_text("纳入改造计划")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, f"assistance-outcomes-{name}.png")
        page.context.close()
    case = HousingCase.objects.get(household=home)
    assert (case.grade, case.status, case.renovation_year) == ("D", "planned", 2027)
