"""Journey: a county officer opens this quarter's dynamic adjustment, sees a household whose
tier differs from the system's suggestion, confirms the suggested tier through the classify
page, and completes the review with a summary."""

import pytest

from beneficiaries.models import Classification, QuarterlyReview
from tests.beneficiaries.factories import county_officer
from tests.e2e.conftest import open_menu
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_county_officer_confirms_a_differing_suggestion_and_completes_the_quarterly_review(page, live_server, login):
    county_officer(username="leishan_officer", real_name="雷山县民政局 吴科长")
    household = HouseholdFactory(code="LS-REVIEW-1", tier="C", criteria=["C1"])
    PersonFactory(household=household, name="杨老四", benefit_status="tekun", support_mode="dispersed", self_care="none")
    PairingFactory(household=household)

    login(page, "leishan_officer")
    open_menu(page, "花名册", "季度动态调整")
    page.get_by_role("button", name="开始本季度动态调整").click()

    row = page.get_by_test_id("mismatched-row").filter(has_text="LS-REVIEW-1")
    assert "建议A类" in row.inner_text() and "杨老四" in row.inner_text()
    assert page.get_by_test_id("count-mismatched").inner_text() == "1"
    row.get_by_role("link", name="去认定").click()

    page.get_by_label("A类 特困供养群体").check()
    page.get_by_label("C1 低收入人口中赡养、抚养或监护照料职责难以落实的留守儿童、留守老人").uncheck()
    page.get_by_label("A1 失能、半失能分散供养特困人员").check()
    page.get_by_role("button", name="确认认定").click()
    assert "已认定为A类" in page.get_by_role("alert").first.inner_text()

    open_menu(page, "花名册", "季度动态调整")
    page.get_by_role("link", name="打开").click()
    assert page.get_by_test_id("count-mismatched").inner_text() == "0"
    change = page.get_by_test_id("tier-change-row").filter(has_text="LS-REVIEW-1").inner_text()
    assert "C类 → A类" in change and "雷山县民政局 吴科长" in change

    page.get_by_label("调整小结").fill("本季度1户由C类调整为A类。")
    page.get_by_role("button", name="完成本季度动态调整").click()
    assert "本季度1户由C类调整为A类。" in page.get_by_test_id("review-completed").inner_text()
    review = QuarterlyReview.objects.get()
    assert review.completed_by.username == "leishan_officer"
    assert Classification.objects.get(household=household).tier == "A"
