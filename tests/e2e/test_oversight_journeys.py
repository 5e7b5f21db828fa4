"""Oversight journeys: the prefecture drills from a county's compliance to its households; a county
runs an inspection from plan to rectified problem; a township records a spot check (on a phone)
that finds a discrepancy."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Role
from beneficiaries.models import Household
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from tests.visits.factories import VisitFactory
from visits.actions import schedule_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def _household(head: str, tier: str, last_visit: dt.date, cadre=None) -> Household:
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head)
    PairingFactory(household=h, started_on=dt.date(2025, 1, 1), **({"cadre": cadre} if cadre else {}))
    VisitFactory(household=h, visited_on=last_visit)
    return h


def test_prefecture_drills_from_a_countys_compliance_to_the_households(page, live_server, login):
    from tests.e2e.conftest import open_menu

    today = timezone.localdate()
    user_with_role(Role.PREFECTURE, "522600000000", username="zhou_e2e", real_name="州民政局 杨主任")
    behind = _household("王阿婆", "B", today - dt.timedelta(days=25))
    _household("杨大伯", "B", today - dt.timedelta(days=2))
    schedule_refresh(households=Household.objects.all(), today=today)

    login(page, "zhou_e2e")
    open_menu(page, "督导考核", "统计看板")
    assert "统计看板" in page.get_by_test_id("dashboard-title").inner_text()
    assert page.get_by_test_id("table-tiers").locator("tbody tr").count() == 16
    page.locator("#panel-tiers canvas").first.wait_for()  # the chart was drawn from the data island
    leishan = page.get_by_test_id("table-compliance").locator("tbody tr", has_text="雷山县")
    assert "1/2" in leishan.inner_text()
    leishan.locator("td").nth(1).get_by_role("link").click()  # B类 rate → the households off track
    assert "本月走访未达标家庭" in page.get_by_test_id("drill-title").inner_text()
    rows = page.get_by_test_id("drill-households").inner_text()
    assert behind.code in rows and "王阿婆" in rows and "杨大伯" not in rows


def test_prefecture_reads_the_nightly_figures_and_drills_to_the_same_households(page, live_server, login):
    from oversight.tasks import refresh_monthly_figures

    today = timezone.localdate()
    user_with_role(Role.PREFECTURE, "522600000000", username="zhou_night", real_name="州民政局 杨主任")
    behind = _household("王阿婆", "B", today - dt.timedelta(days=25))
    _household("杨大伯", "B", today - dt.timedelta(days=2))
    schedule_refresh(households=Household.objects.all(), today=today)
    refresh_monthly_figures(today.isoformat())  # what beat runs at 01:30

    login(page, "zhou_night")
    page.goto(f"{live_server.url}/oversight/dashboard/522600000000/")
    note = f"统计截至 {today:%Y-%m-%d} 凌晨（每晚更新；点击数字看到的是实时名单）"
    assert note in page.locator("#panel-compliance").inner_text()
    assert note in page.locator("#panel-overdue").inner_text()
    leishan = page.get_by_test_id("table-compliance").locator("tbody tr", has_text="雷山县")
    assert "1/2" in leishan.inner_text()
    leishan.locator("td").nth(1).get_by_role("link").click()
    assert "本月走访未达标家庭" in page.get_by_test_id("drill-title").inner_text()
    rows = page.get_by_test_id("drill-households").inner_text()
    assert behind.code in rows and "杨大伯" not in rows


def test_county_runs_an_inspection_from_plan_to_rectified_problem(page, live_server, login):
    from tests.e2e.conftest import open_menu

    for n in range(3):
        _household(f"对象{n}", "C", timezone.localdate() - dt.timedelta(days=5))
    user_with_role(Role.COUNTY, COUNTY, username="leishan_e2e", real_name="雷山县民政局 吴科长")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_e2e", real_name="西江镇 李干事")

    login(page, "leishan_e2e")
    open_menu(page, "督导考核", "督导检查")
    page.get_by_role("link", name="制定检查计划").click()
    page.get_by_label("被检查乡镇(街道)").select_option(label="西江镇")
    page.get_by_label("每乡镇抽查户数").fill("2")
    page.get_by_role("button", name="保存计划").click()
    assert "已制定检查计划" in page.content()
    page.get_by_role("button", name="随机抽取检查家庭").click()
    assert "随机种子" in page.content()
    samples = page.get_by_test_id("samples")
    assert samples.locator("tbody tr").count() == 2

    for n in range(2):
        page.get_by_test_id("samples").get_by_role("link", name="检查表").nth(n).click()
        page.get_by_label("走访次数达到最低要求").select_option("yes")
        page.get_by_label("走访记录真实可信").select_option("no" if n == 0 else "yes")
        page.get_by_label("发现问题已闭环").select_option("yes")
        page.get_by_label("关爱记录册完整").select_option("yes")
        if n == 0:
            page.get_by_role("button", name="保存检查表").click()
            assert "有不符合项，请写明检查情况" in page.content()  # nothing typed is lost
            assert page.get_by_label("走访记录真实可信").input_value() == "no"
            page.get_by_label("检查情况").fill("走访记录与户主所述不符")
        page.get_by_role("button", name="保存检查表").click()
        assert "已保存检查表" in page.content()

    page.get_by_test_id("samples").get_by_role("link", name="登记问题").first.click()
    page.get_by_label("问题描述").fill("走访记录不实，干部未按记录日期入户")
    page.get_by_label("整改责任人").select_option(label="西江镇 李干事")
    page.get_by_role("button", name="保存问题").click()
    assert "走访记录不实" in page.get_by_test_id("inspection-problems").inner_text()
    page.get_by_label("检查总结").fill("总体较好，个别走访记录不实，已限期整改。")
    page.get_by_role("button", name="完成检查").click()
    assert page.get_by_test_id("inspection-status").inner_text() == "已完成"

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    # The offline app clears the kept pages first, then signs out: wait until that is done.
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    login(page, "xijiang_e2e")
    open_menu(page, "督导考核", "问题整改")
    page.get_by_test_id("problems").get_by_role("link", name="走访记录不实").first.click()
    page.get_by_label("整改情况").fill("已约谈干部，重新入户核实并补记台账")
    page.get_by_label("整改已完成").check()
    page.get_by_role("button", name="保存整改情况").click()
    assert page.get_by_test_id("problem-status").inner_text().startswith("已整改")


def test_township_records_a_spot_check_that_finds_a_discrepancy(phone_page, live_server, login):
    from tests.e2e.conftest import open_menu

    page = phone_page
    day = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    cadre = CadreFactory(name="龙干部")
    _household("潘阿婆", "C", day, cadre=cadre)
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_spot", real_name="西江镇 李干事")

    login(page, "xijiang_spot")
    open_menu(page, "督导考核", "回访抽查")
    page.get_by_label("抽查区划").select_option(label="西江镇")
    page.get_by_role("button", name="抽取").click()
    assert "随机种子" in page.content()
    items = page.get_by_test_id("spot-items")
    assert "龙干部" in items.inner_text()
    items.get_by_role("link", name="登记回访").first.click()
    assert day.isoformat() in page.get_by_test_id("visit-facts").inner_text()
    page.get_by_label("回访方式").select_option(label="电话回访")
    page.get_by_label("走访日期属实").select_option("no")
    page.get_by_label("见到的人属实").select_option("yes")
    page.get_by_label("记录内容可信（健康、生活、安全等情况与实际相符）").select_option("yes")
    page.get_by_label("回访情况").fill("户主说当月干部没有上门")
    page.get_by_role("button", name="保存回访结果").click()
    assert "回访发现不属实" in page.content()
    assert "不属实" in page.get_by_test_id("spot-items").inner_text()
    rates = page.get_by_test_id("cadre-rates").inner_text()
    assert "龙干部" in rates and "0%" in rates
    open_menu(page, "督导考核", "问题整改")
    assert "回访抽查" in page.get_by_test_id("problems").inner_text()


def test_township_builds_a_villages_care_record_books(page, live_server, login, village_code):
    for name in ("吴阿婆", "杨阿公"):
        _household(name, "A", timezone.localdate() - dt.timedelta(days=3))
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_books", real_name="西江镇 李干事")
    login(page, "xijiang_books")
    page.goto(f"{live_server.url}/oversight/dashboard/{TOWNSHIP}/")
    page.get_by_test_id("table-tiers").locator("tbody th a").first.click()
    page.get_by_test_id("start-books").click()
    progress = page.get_by_test_id("job-progress")
    assert "2 / 2" in progress.inner_text() and "100%" in progress.inner_text()
    href = page.get_by_test_id("download-books").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok and response.body().startswith(b"%PDF")
