"""Journey: the township official reassigns a visit finding (改派) to the village committee,
picked from the people responsible in the household's area grouped by duty, with a new deadline;
the committee member finds it in 消息, named by the household's head and village, and opens it."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import TOWNSHIP
from tests.e2e.conftest import PHONE
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role
from tests.visits.factories import visit_input
from visits.actions import FindingInput, visit_record
from visits.models import Finding

pytestmark = pytest.mark.django_db(transaction=True)
GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def test_township_reassigns_a_finding_to_the_village_committee_with_a_new_deadline(page, phone_page, live_server, login):
    today = timezone.localdate()
    cadre_login, cadre = cadre_user("zhangmin", name="张敏")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2025, 1, 1))
    visit_record(actor=cadre_login, household=household, data=visit_input(visited_on=today),
                 findings=[FindingInput(kind="hazard", description="厨房电线老化裸露", due_on=today + dt.timedelta(days=5))],
                 today=today)
    finding = Finding.objects.get()
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang", real_name="西江镇 李干事")
    user_with_role(Role.VILLAGE_COMMITTEE, household.village_id, username="cunwei", real_name="侯主任")
    new_due = today + dt.timedelta(days=20)

    login(page, "xijiang")
    page.goto(f"{live_server.url}/visits/findings/{finding.pk}/")
    owner = page.get_by_label("新责任人")
    groups = owner.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups[:3] == ["结对干部", "村(居)民委员会", "乡镇(街道)"]
    committee_label = owner.locator("option", has_text="侯主任").inner_text()
    assert committee_label.startswith("侯主任（")  # named with the committee it serves
    owner.select_option(label=committee_label)
    page.get_by_label("改派后的办结期限（可不填）").fill(new_due.isoformat())
    page.get_by_label("改派理由").fill("线路改造由村里统一安排")
    page.get_by_test_id("finding-reassign").screenshot(path=str(GUIDE_IMG / "finding-reassign-form-1366.png"))
    page.get_by_role("button", name="改派").click()
    expect(page.get_by_test_id("finding-owner")).to_have_text("侯主任")
    expect(page.get_by_test_id("finding-due")).to_have_text(new_due.isoformat())
    history = page.get_by_test_id("finding-history")
    expect(history).to_contain_text("线路改造由村里统一安排")
    expect(history).to_contain_text(new_due.isoformat())
    page.screenshot(path=str(GUIDE_IMG / "finding-reassign-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(GUIDE_IMG / "finding-reassign-390.png"), full_page=True)

    login(phone_page, "cunwei")
    phone_page.goto(f"{live_server.url}/visits/inbox/")
    message = phone_page.get_by_text(re.compile("将问题改派给您"))
    expect(message).to_contain_text("王阿婆")
    expect(message).to_contain_text(new_due.isoformat())
