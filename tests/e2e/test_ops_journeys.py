"""Journeys of issue 11: the prefecture bureau enters the 2027 holiday table (the deadline of a
referral over the Spring Festival stops being provisional); a county clerk reads who looked at a
person's record in the audit log. Screenshots at 390 and 1366 px go to test-results/."""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.actions import audit_record
from accounts.models import AuditAction, Role
from services.models import Referral
from tests.e2e.conftest import open_menu
from tests.factories import PersonFactory, user_with_role
from tests.services.factories import at, make_referral, paired_household

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
NOTICE_2027 = "元旦,2027-01-01,2027-01-03,放假\n春节,2027-02-05,2027-02-13,放假\n春节,2027-02-20,,上班"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ops-{name}.png"), full_page=True)


def test_the_bureau_enters_the_2027_holidays_and_a_provisional_deadline_is_fixed(page, phone_page, live_server, login):
    user_with_role(Role.PREFECTURE, "522600000000", username="zhou", real_name="州民政局 杨主任")
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, now=at(2027, 2, 4))
    assert referral.due_provisional

    login(page, "zhou")
    open_menu(page, "设置", "节假日安排")
    assert page.get_by_test_id("holiday-years").is_visible()
    page.get_by_label("录入或修改年份").fill("2027")
    page.get_by_role("button", name="打开").click()
    assert "2027 年节假日安排尚未录入" in page.get_by_test_id("missing-year").inner_text()
    page.get_by_label("依据").fill("国务院办公厅关于2027年部分节假日安排的通知（测试用）")
    page.get_by_label("节假日安排").fill("春节,2027-02-05,2027-02-13,休假")
    page.get_by_role("button", name="保存").click()
    assert "第1行：第四项应为“放假”或“上班”，实为“休假”。" in page.content()
    assert page.get_by_label("节假日安排").input_value() == "春节,2027-02-05,2027-02-13,休假"
    page.get_by_label("节假日安排").fill(NOTICE_2027)
    page.get_by_role("button", name="保存").click()
    assert "2027 年节假日安排已保存。已按新安排重新计算 1 件暂定期限的转介。" in page.content()
    runs = page.get_by_test_id("holiday-runs").inner_text()
    assert "2月5日—2月13日" in runs and "2月20日" in runs
    shot(page, "holiday-year-1366")
    referral.refresh_from_db()
    assert not referral.due_provisional and referral.due_at == at(2027, 2, 26, 0)

    login(phone_page, "zhou")
    phone_page.goto(f"{live_server.url}{reverse('services:holidays')}")
    shot(phone_page, "holidays-390")
    phone_page.goto(f"{live_server.url}{reverse('services:holiday_year', args=[2027])}")
    shot(phone_page, "holiday-year-390")
    page.goto(f"{live_server.url}{reverse('services:holidays')}")
    shot(page, "holidays-1366")
    assert Referral.objects.filter(due_provisional=True).count() == 0


def test_a_county_clerk_sees_who_revealed_a_persons_id_number(page, phone_page, live_server, login):
    user_with_role(Role.COUNTY, "522634000000", username="leishan", real_name="雷山县民政局 吴科长")
    clerk = user_with_role(Role.TOWNSHIP, "522634101000", username="xijiang", real_name="西江镇 李干事")
    person = PersonFactory(name="王阿婆")
    audit_record(actor=clerk, action=AuditAction.VIEW, obj=person.household)
    audit_record(actor=clerk, action=AuditAction.REVEAL, obj=person, details={"household": person.household_id})
    PersonFactory(name="杨阿公")
    audit_record(actor=clerk, action=AuditAction.VIEW, obj=PersonFactory(name="杨阿公").household)

    login(page, "leishan")
    open_menu(page, "设置", "审计日志")
    page.get_by_label("对象（姓名或户编号）").fill("王阿婆")
    page.get_by_label("操作", exact=True).select_option(label="查看完整证件号")
    page.get_by_role("button", name="查询").click()
    rows = page.get_by_test_id("audit-events").locator("tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "西江镇 李干事" in text and "查看完整证件号" in text and "王阿婆" in text
    page.get_by_label("操作", exact=True).select_option(label="全部")
    page.get_by_role("button", name="查询").click()
    assert page.get_by_test_id("audit-events").locator("tbody tr").count() == 2
    shot(page, "audit-1366")

    login(phone_page, "leishan")
    phone_page.goto(f"{live_server.url}{reverse('accounts:audit_log')}?person=王阿婆")
    assert phone_page.get_by_test_id("person-matches").is_visible()
    assert phone_page.get_by_test_id("audit-events-phone").locator("li").count() == 2
    shot(phone_page, "audit-390")
