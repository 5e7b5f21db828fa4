"""Journeys of issue 10, clicking only:

- the county confirms a tier from the quarterly review and lands back in the review;
- the township gives a household another cadre through the searchable picker (on a phone);
- a finding gets a new deadline, then is closed with a photo.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from beneficiaries.models import Pairing
from tests.beneficiaries.factories import county_officer
from tests.conftest import TOWNSHIP
from tests.e2e.conftest import open_menu, pick
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    PairingFactory,
    PersonFactory,
    cadre_user,
    user_with_role,
)
from tests.visits.factories import visit_input
from visits.actions import FindingInput, visit_record
from visits.models import Finding, FindingPhoto

pytestmark = pytest.mark.django_db(transaction=True)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_county_confirms_a_tier_from_the_review_and_returns_to_it(page, live_server, login):
    county_officer(username="leishan_j", real_name="雷山县民政局 吴科长")
    household = HouseholdFactory(code="LS-J-1", tier="C", criteria=["C1"])
    PersonFactory(household=household, name="杨老四", benefit_status="tekun", support_mode="dispersed",
                  self_care="none")
    PairingFactory(household=household)

    login(page, "leishan_j")
    open_menu(page, "花名册", "季度动态调整")
    page.get_by_role("button", name="开始本季度动态调整").click()
    review_url = page.url
    page.get_by_test_id("mismatched-row").filter(has_text="LS-J-1").get_by_role("link", name="去认定").click()
    page.get_by_label("A类 特困供养群体").check()
    page.get_by_label("C1 低收入人口中赡养、抚养或监护照料职责难以落实的留守儿童、留守老人").uncheck()
    page.get_by_label("A1 失能、半失能分散供养特困人员").check()
    page.get_by_role("button", name="确认认定").click()
    # Back in the review, at its first list, with the confirmation.
    page.wait_for_url(review_url + "#mismatched")
    assert "已认定为A类" in page.get_by_role("alert").first.inner_text()
    assert page.get_by_test_id("count-mismatched").inner_text() == "0"
    assert "C类 → A类" in page.get_by_test_id("tier-change-row").filter(has_text="LS-J-1").inner_text()


def test_township_changes_a_households_cadre_through_the_searchable_picker(phone_page, live_server, login,
                                                                          village_code):
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_j", real_name="西江镇 李干事")
    old = CadreFactory(name="杨光明", home_village_id=village_code)
    CadreFactory(name="吴春花", phone="13900000001", home_village_id=village_code)
    namesake = CadreFactory(name="吴春花", phone="13900000002", home_village_id=village_code)
    household = HouseholdFactory(code="LS-J-2", village_id=village_code, tier="B")
    PersonFactory(household=household, name="龙阿婆")
    PairingFactory(household=household, cadre=old, started_on=timezone.localdate() - dt.timedelta(days=30))

    login(phone_page, "xijiang_j")
    phone_page.goto(f"{live_server.url}/roster/households/{household.pk}/")
    phone_page.get_by_role("link", name="更换结对干部").click()
    pick(phone_page, "新的结对干部", "吴春花", "13900000002")
    phone_page.get_by_label("更换原因").fill("杨光明调往县城工作")
    phone_page.get_by_role("button", name="确认更换").click()
    expect(phone_page.get_by_test_id("active-cadre")).to_contain_text("吴春花")
    current = Pairing.objects.get(household=household, ended_on__isnull=True)
    assert current.cadre == namesake
    assert Pairing.objects.get(household=household, cadre=old).end_reason == "杨光明调往县城工作"


def test_a_finding_gets_a_new_deadline_and_is_closed_with_a_photo(page, live_server, login, tmp_path):
    today = timezone.localdate()
    user, cadre = cadre_user("zhangmin_j", name="张敏")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_f", real_name="西江镇 李干事")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2025, 1, 1))
    visit_record(actor=user, household=household, data=visit_input(visited_on=today - dt.timedelta(days=20)),
                 findings=[FindingInput(kind="hazard", description="厨房电线老化裸露",
                                        due_on=today - dt.timedelta(days=5))],
                 today=today - dt.timedelta(days=20))
    finding = Finding.objects.get()

    login(page, "xijiang_f")
    open_menu(page, "走访", "走访工作台")
    page.get_by_test_id("open-findings").get_by_role("link", name="厨房电线老化裸露").click()
    expect(page.get_by_test_id("finding-overdue")).to_have_text("逾期5天")

    new_due = today + dt.timedelta(days=7)
    page.get_by_label("新的办结期限").fill(new_due.isoformat())
    page.get_by_label("调整理由").fill("电工下周才能上门")
    page.get_by_role("button", name="调整期限").click()
    expect(page.get_by_test_id("finding-due")).to_have_text(new_due.isoformat())
    expect(page.get_by_test_id("finding-overdue")).to_have_count(0)
    assert "电工下周才能上门" in page.get_by_test_id("finding-history").inner_text()

    photo = tmp_path / "after.png"
    photo.write_bytes(PNG)
    page.locator("#id_to_status").select_option(label="办结")
    page.get_by_label("办结情况 / 处理说明").fill("已请电工更换电线")
    page.get_by_label("整改照片").set_input_files(str(photo))
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("finding-status")).to_have_text("已办结")
    expect(page.get_by_test_id("finding-photos").locator("img")).to_have_count(1)
    assert FindingPhoto.objects.filter(finding=finding).count() == 1
