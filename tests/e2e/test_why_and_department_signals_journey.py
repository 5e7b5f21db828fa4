"""Journey (issue 22 §1, §2, §4): two department lists arrive (医保 and death); the township sees
the household's warning on its desk with the lists named in its signals, opens the household's
tier suggestion and asks 为什么, and reads the 关爱预警 panel of its dashboard on a phone; the
county asks 为什么 of a township's assessment score. Screenshots of the changed pages at 390 and
1366 px go to test-results/."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Area, Role
from beneficiaries import idnumber
from earlywarning import actions as warning_actions
from exchange.crosscheck import cross_check_run
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role

from .conftest import RESULTS

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"earlywarning-{name}-{page.viewport_size['width']}.png"), full_page=True)


def member(household, stem, name, relation="head", **facts):
    number = idnumber.make(stem)
    born = idnumber.parse(number, today=dt.date(2026, 1, 1))
    PersonFactory(household=household, name=name, id_number=number, birth_date=born.birth_date, sex=born.sex,
                  relation=relation, **facts)
    return number


def test_department_lists_raise_a_warning_and_the_township_and_county_ask_why(page, phone_page, live_server, login,
                                                                              village_code):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY, username="leishan_wu", real_name="雷山县 吴股长")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_why", real_name="西江镇 杨干事")
    household = HouseholdFactory(village=Area.objects.get(code=village_code), tier="B", criteria=["B1"],
                                 tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=household, started_on=dt.date(2026, 1, 1))
    grandma = member(household, "52263419400215154", "龙奶奶", benefit_status="tekun", support_mode="dispersed",
                     self_care="partial")
    son = member(household, "52263419700312101", "龙二", relation="child", benefit_status="dibao",
                 serious_illness=True, work_capacity="none", is_main_earner=True)
    member(household, "52263419720808111", "吴三妹", relation="spouse", benefit_status="dibao")
    area = Area.objects.get(code=COUNTY)
    for source, rows in (("medical", [{"证件号码": son, "结算年度": str(today.year), "个人负担(元)": "12300"}]),
                         ("death", [{"身份证号": grandma, "死亡日期": today.isoformat()}])):
        assert cross_check_run(actor=county, source=source, area=area, records=rows, today=today).ok
    warning_actions.signals_refresh(since=today, today=today)
    warning_actions.warnings_refresh(today=today)

    # The township's desk: the warning (死亡 40 + 医保 30 = 预警), its signals naming the lists.
    login(page, "xijiang_why")
    page.goto(f"{live_server.url}/warnings/")
    row = page.locator(f'[data-testid="warning-row"][data-code="{household.code}"]')
    assert "预警" in row.inner_text()
    row.get_by_role("link").first.click()
    signals = page.get_by_test_id("warning-signals").inner_text()
    assert f"医保：{today.year}年个人自付 12,300 元（州医保局 {today.month}月{today.day}日名单）" in signals
    assert "死亡：户内成员龙奶奶" in signals
    shot(page, "department-signals")

    # 为什么 of the tier suggestion, from the household page.
    page.goto(f"{live_server.url}/roster/households/{household.pk}/")
    page.get_by_test_id("why-tier-link").click()
    page.wait_for_url(f"**/households/{household.pk}/why-tier/")
    criteria = page.get_by_test_id("why-tier-criteria").inner_text()
    assert "A1" in criteria and "龙奶奶：保障类别：特困" in criteria and "B1" in criteria
    shot(page, "why-tier")

    # On a phone: the same page and the 关爱预警 panel of the township's dashboard.
    login(phone_page, "xijiang_why")
    phone_page.goto(f"{live_server.url}/roster/households/{household.pk}/why-tier/")
    assert "符合多类时取最高类别" in phone_page.get_by_test_id("why-tier-rule").inner_text()
    shot(phone_page, "why-tier")
    phone_page.goto(f"{live_server.url}/oversight/dashboard/{TOWNSHIP}/#panel-warnings")
    panel = phone_page.locator("#panel-warnings")
    assert "按期核查" in panel.inner_text() and "合计" in panel.inner_text()
    panel.screenshot(path=str(RESULTS / "earlywarning-dashboard-panel-390.png"))
    page.goto(f"{live_server.url}/oversight/dashboard/{TOWNSHIP}/#panel-warnings")
    page.locator("#panel-warnings").screenshot(path=str(RESULTS / "earlywarning-dashboard-panel-1366.png"))

    # The county: 为什么 of a township's score.
    county_page = page.context.browser.new_context(viewport=page.viewport_size, locale="zh-CN",
                                                   timezone_id="Asia/Shanghai").new_page()
    login(county_page, "leishan_wu")
    county_page.goto(f"{live_server.url}/oversight/assessment/?county={COUNTY}&year={today.year}&kind=township")
    county_page.get_by_test_id("why-score-link").first.click()
    county_page.get_by_test_id("why-score").wait_for()
    assert "计入的权重之和" in county_page.get_by_test_id("why-score-rule").inner_text() or \
        "均无数据" in county_page.get_by_test_id("why-score-rule").inner_text()
    shot(county_page, "why-score")
    county_page.set_viewport_size({"width": 390, "height": 844})
    shot(county_page, "why-score")
    county_page.context.close()
