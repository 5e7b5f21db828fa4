"""People, not codes, in the browser (on the demo data): the township follows a village's figure
on its dashboard to the households; the county decides a tier with the members and reasons on
the page; the financial supervisor is told their list is a sample; the county dashboard's columns
fit a 1366 px screen. Screenshots for the guides go to docs/guides/img/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


@pytest.fixture
def demo(live_server):
    from django.core.management import call_command

    call_command("seed_demo", households=40, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, size in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_people_not_codes_on_the_demo_data(browser, page, live_server, login, demo):
    from accounts.demo import DEMO_PASSWORD
    from beneficiaries.models import Household

    base = live_server.url
    # Township: a village's number on the dashboard opens its households (was a 404).
    login(page, "xijiang", DEMO_PASSWORD)
    page.goto(f"{base}/oversight/dashboard/522634101000/")
    link = page.locator("main table a[href*='/households/?figure=tier']").first
    href = link.get_attribute("href")
    assert re.search(r"/oversight/dashboard/\d{12}/households/", href)
    link.click()
    page.get_by_test_id("drill-households").wait_for()
    assert page.get_by_test_id("drill-title").is_visible()
    shoot(page, "people-drill-village")

    def fresh():  # one signed-in person per browser context
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        return context.new_page()

    # County: the tier decision with members, the suggestion's reasons and the history.
    page = fresh()
    login(page, "leishan", DEMO_PASSWORD)
    household = Household.objects.filter(status="active", members__relation="head").order_by("id").first()
    page.goto(f"{base}/roster/households/{household.pk}/classify/")
    page.get_by_test_id("members").wait_for()
    assert household.code in page.get_by_test_id("classify-household").inner_text()
    page.get_by_test_id("tier-history").wait_for()
    shoot(page, "people-classify")
    # The county dashboard fits 1366 px: no table cell beyond the window.
    page.goto(f"{base}/oversight/dashboard/522634000000/")
    page.locator("main table").first.wait_for()
    clipped = page.evaluate("""() => Array.from(document.querySelectorAll('main table th, main table td'))
        .filter(c => c.getClientRects().length && !c.closest('.table-responsive')
                     && c.getBoundingClientRect().right > window.innerWidth + 0.5).length""")
    assert clipped == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # …nor a column hidden in a panel's scroll box (the overdue and findings panels were cut off).
    scrolled = page.evaluate("""() => Array.from(document.querySelectorAll('main .table-responsive'))
        .filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.closest('section')?.id || '?')""")
    assert scrolled == []
    shoot(page, "people-dashboard-county")

    # Financial supervisor: the list is a sample, and how to start one.
    page = fresh()
    login(page, "jinrong", DEMO_PASSWORD)
    page.goto(f"{base}/custody/")
    note = page.get_by_test_id("sample-note")
    note.wait_for()
    assert "抽查样本" in note.inner_text()
    shoot(page, "people-supervisor-sample")
