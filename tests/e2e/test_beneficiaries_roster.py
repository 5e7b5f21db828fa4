"""Journey: a county officer uploads the roster template with 20 households, previews it,
confirms, sees the suggested tiers, confirms one household with an override reason, pairs a
cadre and prints the door card."""

import pytest

from accounts.models import Area
from beneficiaries.models import Classification, Household, Pairing, Person
from tests.beneficiaries.factories import county_officer, roster_sheet, twenty_households
from tests.conftest import TOWNSHIP
from tests.e2e.conftest import open_menu, pick
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_county_officer_imports_classifies_pairs_and_prints_a_door_card(page, live_server, login, tmp_path):
    village = Area.objects.filter(parent_id=TOWNSHIP).order_by("code").first()
    county_officer(username="leishan_officer", real_name="雷山县民政局 吴科长")
    CadreFactory(name="张敏", phone="13908550001", home_village=village)
    sheet = tmp_path / "花名册.xlsx"
    sheet.write_bytes(roster_sheet(twenty_households(village.code)))

    login(page, "leishan_officer")
    open_menu(page, "花名册", "花名册")
    page.get_by_role("link", name="导入花名册").click()
    page.get_by_label("花名册文件（.xlsx或.csv）").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并预览").click()

    # Preview: 20 households, nothing written yet, suggestions shown.
    assert page.get_by_test_id("preview-row").count() == 20
    assert "共 20 户 40 人" in page.get_by_test_id("import-preview-ok").inner_text()
    assert Household.objects.count() == 0
    suggestions = page.get_by_test_id("preview-suggestion").all_inner_texts()
    assert suggestions[:4] == ["A A1", "B B1", "C C1", "无"]

    page.get_by_role("button", name="确认导入").click()
    assert "导入成功：20户，40人" in page.get_by_role("alert").first.inner_text()
    assert Household.objects.count() == 20 and Person.objects.count() == 40
    # The list shows the unclassified households with the tier the rules suggest.
    assert page.get_by_test_id("suggested-tier").count() == 15
    assert "建议A类" in page.get_by_test_id("roster-row").filter(has_text="LS0000").inner_text()

    # Confirm LS0001 (suggested B1) as B4 — an override with a reason.
    page.get_by_role("link", name="LS0001").click()
    page.get_by_role("link", name="认定类别").click()
    page.get_by_label("B4 低保政策覆盖后监护照料仍存在严重困难").check()
    page.get_by_role("button", name="确认认定").click()
    assert "必须填写" in page.content()  # no reason: refused, the choice is kept
    assert page.get_by_label("B4 低保政策覆盖后监护照料仍存在严重困难").is_checked()
    page.get_by_label("认定理由").fill("户主卧床，两名子女无人照料，监护照料存在严重困难")
    page.get_by_role("button", name="确认认定").click()
    assert "已认定为B类" in page.get_by_role("alert").first.inner_text()
    decision = Classification.objects.get(household__code="LS0001")
    assert decision.is_override and decision.criteria == ["B1", "B4"] and decision.suggested_criteria == ["B1"]
    page.get_by_role("tab", name="类别认定").click()
    assert "户主卧床" in page.get_by_test_id("tier-history").inner_text()

    # Pair a cadre.
    page.get_by_role("link", name="安排结对干部").click()
    pick(page, "结对干部", "张敏", "139****0001")  # a county officer sees the number masked
    page.get_by_label("结对关系").select_option(label="就近")
    page.get_by_role("button", name="确认结对").click()
    assert "张敏" in page.get_by_test_id("active-cadre").inner_text()
    assert Pairing.objects.get().household.code == "LS0001"

    # Print the door card.
    page.get_by_role("link", name="打印爱心牌").click()
    card = page.get_by_test_id("door-card")
    assert card.count() == 1
    assert "B类" in card.inner_text() and "张敏" in card.inner_text() and "13908550001" in card.inner_text()
    assert page.get_by_test_id("door-card-qr").locator("svg").count() == 1
    page.emulate_media(media="print")
    assert page.get_by_role("navigation").first.is_hidden()
