"""Journey (issue 22 §3): the township prints a household's door card; a neighbour scans its QR
on a phone (no login) and asks for help; within the same minute the paired cadre's list (on a
phone) and the township's desk show it on top; the township verifies the warning and the cadre
closes the request with what was done. Screenshots of the new pages at 390 and 1366 px go to
test-results/ (looked at when the pages change)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from beneficiaries.models import Classification
from earlywarning.models import CareWarning, HelpRequest
from tests.conftest import TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role

from .conftest import DESKTOP, PHONE, RESULTS

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"earlywarning-{name}-{page.viewport_size['width']}.png"), full_page=True)


def test_a_neighbour_asks_for_help_from_the_door_card_and_cadre_and_township_see_it(
        browser, phone_page, page, live_server, login):
    user, cadre = cadre_user("zhangmin", name="张敏")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=household, tier="A", criteria=["A1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2025, 1, 1))

    # The township prints the card.
    login(page, "xijiang_li")
    page.goto(f"{live_server.url}/warnings/households/{household.pk}/door-card/")
    page.get_by_test_id("card-issue").click()
    help_url = page.get_by_test_id("help-url").inner_text().strip()
    assert "/h/" in help_url
    shot(page, "door-card")

    # A neighbour scans it: a phone with no session.
    neighbour = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    scan = neighbour.new_page()
    scan.goto(help_url)
    assert household.code in scan.get_by_test_id("help-household").inner_text()
    assert "王阿婆" not in scan.content()
    shot(scan, "help-page")
    scan.get_by_label("生病/受伤，需要看病").check()
    scan.get_by_label("说明（可不填）").fill("老人在家摔倒，起不来")
    scan.get_by_label("回拨电话（可不填）").fill("13912345678")
    asked_at = timezone.now()
    scan.get_by_test_id("help-submit").click()
    scan.wait_for_url("**/sent/")
    assert "求助已送达" in scan.get_by_test_id("help-sent").inner_text()
    shot(scan, "help-sent")
    neighbour.close()

    # Within the same minute: the cadre's list on a phone, the township's desk.
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}/visits/mine/")
    row = phone_page.get_by_test_id("cadre-warnings").get_by_test_id("help-request-row")
    assert household.code in row.inner_text() and "生病/受伤" in row.inner_text()
    shot(phone_page, "cadre-list")
    page.goto(f"{live_server.url}/visits/desk/")
    panel = page.get_by_test_id("desk-warnings")
    assert household.code in panel.get_by_test_id("help-request-row").inner_text()
    assert "紧急" in panel.get_by_test_id("warning-row").inner_text()
    assert (timezone.now() - asked_at).total_seconds() < 60
    shot(page, "desk")

    # The township verifies the warning; the cadre closes the request.
    panel.get_by_test_id("warning-row").get_by_role("link").click()
    assert "一键求助：生病/受伤，需要看病" in page.get_by_test_id("warning-signals").inner_text()
    shot(page, "warning")
    page.get_by_label("已核实并帮扶").check()
    page.get_by_label("核查说明").fill("电话联系家属，已送县医院")
    page.get_by_label("后续帮扶").fill("转介县医保局 医疗救助")
    page.get_by_test_id("verify-submit").click()
    assert "已核实并帮扶" in page.get_by_test_id("verification").inner_text()
    assert CareWarning.objects.get().verified_at is not None
    page.goto(f"{live_server.url}/warnings/")
    shot(page, "warnings-desk")

    phone_page.get_by_test_id("help-request-row").get_by_role("link").click()
    phone_page.get_by_label("做了什么").fill("已上门，家属陪同就医")
    phone_page.get_by_test_id("help-close").click()
    assert "已上门，家属陪同就医" in phone_page.get_by_test_id("help-closed").inner_text()
    assert HelpRequest.objects.get().closed_at is not None


def test_screens_of_the_new_pages_at_both_widths(browser, live_server, login):
    """The pages looked at: the public help page, the warnings desk and the due date's 为什么."""
    from earlywarning import actions
    from tests.visits.factories import VisitFactory

    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=household, tier="A", criteria=["A1"], effective_on=dt.date(2025, 1, 1))
    VisitFactory(household=household, visited_on=timezone.localdate() - dt.timedelta(days=3))
    card = actions.door_card_issue(actor=township, household=household)
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        p = context.new_page()
        p.goto(f"{live_server.url}/h/{card.token}/")
        p.get_by_test_id("help-submit").click()  # nothing ticked: the message, nothing sent
        assert "请至少选择一项需要的帮助" in p.content()
        shot(p, "help-page-error")
        login(p, "xijiang_li")
        p.goto(f"{live_server.url}/visits/households/{household.pk}/why-due/")
        assert p.get_by_test_id("why-due-steps").is_visible()
        shot(p, "why-due")
        p.goto(f"{live_server.url}/warnings/?why=figures")
        assert p.get_by_test_id("why-figures-text").is_visible()
        shot(p, "warnings-desk-why")
        p.goto(f"{live_server.url}/warnings/policy/")
        assert p.get_by_test_id("policy-form").is_visible()
        shot(p, "policy")
        context.close()
    assert not HelpRequest.objects.exists()
