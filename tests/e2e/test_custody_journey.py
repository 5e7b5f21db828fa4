"""Journey: the village committee opens a custody account, appoints the caregiver, records the
village meeting that elects the custodian, posts a deposit and the caregiver's withdrawal, signs
the periodic check, and prints the statement with the right running balance."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from custody.models import CustodyAccount, LedgerEntry
from tests.custody.factories import eligible_person, villager_id
from tests.e2e.conftest import open_menu
from tests.factories import jpeg_bytes, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_village_committee_runs_a_custody_account_and_prints_the_statement(page, live_server, login, village_code,
                                                                          tmp_path):
    user_with_role(Role.VILLAGE_COMMITTEE, village_code, username="cunwei_e2e", real_name="村委会 侯主任")
    person = eligible_person(village_code, name="杨阿婆")
    minutes = tmp_path / "minutes.pdf"
    minutes.write_bytes(b"%PDF-1.4 village meeting minutes")
    receipt = tmp_path / "receipt.jpg"
    receipt.write_bytes(jpeg_bytes())

    login(page, "cunwei_e2e")
    open_menu(page, "资金代管", "资金代管")
    page.get_by_role("link", name="开设代管账户").click()
    page.get_by_label("代管对象").select_option(str(person.pk))
    page.get_by_label("开户原因").fill("无民事行为能力，无监护人")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("杨阿婆")
    account = CustodyAccount.objects.get(person=person)

    page.get_by_role("link", name="指定照料护理人").first.click()
    page.get_by_label("照料护理人姓名").fill("吴照料")
    page.get_by_label("身份证号").fill(villager_id())
    page.get_by_label("与对象关系").fill("邻居")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("caregivers")).to_contain_text("吴照料")

    # The village meeting that elects the custodian.
    open_menu(page, "资金代管", "村民会议")
    page.get_by_role("link", name="记录村民会议").click()
    page.get_by_label("到会人数").fill("48")
    page.get_by_label("会议决议").fill("推选李寨老为杨阿婆的保障资金代管人")
    page.get_by_label("会议记录(文件)").set_input_files(str(minutes))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("村民会议已记录。")).to_be_visible()
    page.get_by_label("代管对象").select_option(str(account.pk))
    page.get_by_label("代管人姓名").fill("李寨老")
    page.get_by_label("身份证号").fill(villager_id())
    page.get_by_label("寨老", exact=True).check()
    page.get_by_role("button", name="保存推选结果").click()
    expect(page.get_by_test_id("custodians")).to_contain_text("李寨老")

    page.get_by_role("link", name="存入", exact=True).click()
    page.get_by_label("金额(元)").fill("680")
    page.get_by_label("资金类型").select_option(label="特困人员供养补助")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("balance")).to_have_text("680.00")

    page.get_by_role("link", name="支取", exact=True).click()
    expect(page.get_by_test_id("form-lead")).to_contain_text("吴照料")
    page.get_by_label("金额(元)").fill("123.45")
    page.get_by_label("用途").select_option(label="伙食")
    page.get_by_label("票据号").fill("XJ0316-01")
    page.get_by_label("票据照片").set_input_files(str(receipt))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("balance")).to_have_text("556.55")

    page.get_by_role("link", name="定期检查").click()
    page.get_by_label("正常").check()
    page.get_by_label("本人已逐笔核对收支台账，签字确认").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("checks")).to_contain_text("村委会 侯主任")

    page.get_by_role("link", name="打印台账").click()
    expect(page.get_by_test_id("running-balance")).to_have_text(["680.00", "556.55"])
    expect(page.get_by_test_id("statement")).to_contain_text("李寨老")
    expect(page.get_by_test_id("statement")).to_contain_text("吴照料")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    assert page.pdf(format="A4")[:4] == b"%PDF"

    assert LedgerEntry.objects.filter(account=account).count() == 2
    assert re.search(r"/custody/accounts/\d+/statement/$", page.url)
