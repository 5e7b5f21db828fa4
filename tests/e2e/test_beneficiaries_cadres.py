"""Journey: a township official finds a household by full ID number, reveals the number (audited),
moves all households of a leaving cadre to a colleague, and proposes a household's exit with a reason."""

import pytest

from accounts.models import Area, AuditEvent
from beneficiaries.models import Household, Pairing
from exchange.models import Proposal
from tests.beneficiaries.factories import township_official
from tests.conftest import TOWNSHIP
from tests.e2e.conftest import open_menu, pass_second_factor, pick
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_township_official_reveals_reassigns_and_exits(page, live_server, login):
    village = Area.objects.filter(parent_id=TOWNSHIP).order_by("code").first()
    township_official(username="xj", real_name="西江镇 李干事")
    leaving = CadreFactory(name="杨光明", home_village=village)
    CadreFactory(name="吴春花", home_village=village, phone="13900002222")
    households = [HouseholdFactory(village=village, tier=t) for t in "AAB"]
    people = [PersonFactory(household=h) for h in households]
    for h in households:
        PairingFactory(household=h, cadre=leaving)

    login(page, "xj")
    open_menu(page, "花名册", "花名册")
    page.get_by_placeholder("户编号、姓名、电话或完整身份证号").fill(people[1].id_number)
    page.get_by_role("button", name="筛选").click()
    assert page.get_by_test_id("roster-row").count() == 1
    assert people[1].id_number not in page.url  # searched by POST: the number is in no URL or log
    assert people[1].id_number not in page.get_by_test_id("roster-table").inner_text()
    page.get_by_role("link", name=households[1].code).click()
    page.get_by_role("button", name="查看完整号码").click()
    # Step-up: a full number needs the second factor in this session (first time: enrolment).
    pass_second_factor(page, "xj")
    page.get_by_role("button", name="查看完整号码").click()
    assert page.get_by_test_id("id-revealed").inner_text() == people[1].id_number
    assert AuditEvent.objects.filter(action="reveal", object_id=str(people[1].pk)).count() == 1

    # The leaving cadre's load, then the bulk move.
    open_menu(page, "花名册", "帮扶干部")
    assert "吴春花" in page.get_by_test_id("cadre-table").inner_text()
    page.get_by_role("link", name="杨光明").click()
    assert page.get_by_test_id("monthly-visits").inner_text() == "8"
    page.get_by_role("link", name="批量移交结对户").click()
    pick(page, "接收干部", "吴春花", "吴春花（党员干部，" + village.short_name + "，已结对0户")
    page.get_by_role("button", name="确认移交").click()
    # Asked again, with every household that will move.
    assert page.get_by_test_id("transfer-row").count() == 3
    page.get_by_role("button", name="确认移交 3 户").click()
    assert "已将 3 户移交给 吴春花" in page.get_by_role("alert").first.inner_text()
    assert Pairing.objects.filter(cadre__name="吴春花", ended_on__isnull=True).count() == 3
    assert page.get_by_test_id("monthly-visits").inner_text() == "8"

    # Exit is the county's decision (§5(4)): the township proposes it with a reason from the list.
    # (the cadre's households are listed by their head's name, the code beside it)
    page.get_by_role("row").filter(has_text=households[2].code).get_by_role("link").first.click()
    page.get_by_role("link", name="退出花名册").click()
    page.get_by_role("button", name="提交退出申请").click()
    page.get_by_text("该字段是必填项。").first.wait_for()
    page.get_by_label("理由").select_option(label="迁出")
    page.get_by_label("具体说明").fill("户主迁往外省随子女生活")
    page.get_by_role("button", name="提交退出申请").click()
    assert "已提交退出申请" in page.get_by_role("alert").first.inner_text()
    assert Household.objects.get(pk=households[2].pk).status == "active"
    assert Proposal.objects.get(household=households[2]).reason_text == "户主迁往外省随子女生活"
