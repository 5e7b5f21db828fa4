"""Journey on a phone: a cadre sees the overdue tier-A household first, records an in-person
visit with a hazard, and the household leaves the overdue list; the township official then sees
the hazard as an open finding on the desk and closes it."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from beneficiaries.models import Classification, Household
from tests.conftest import TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role
from tests.visits.factories import VisitFactory
from visits.actions import schedule_refresh

from .visit_form import answer_checklist

pytestmark = pytest.mark.django_db(transaction=True)


def _household(cadre, tier, head, last_visit):
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=h, tier=tier, criteria=[f"{tier}1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head)
    PairingFactory(household=h, cadre=cadre, started_on=dt.date(2025, 1, 1))
    VisitFactory(household=h, visited_on=last_visit)
    return h


def test_cadre_records_visit_with_hazard_and_township_closes_it(phone_page, page, live_server, login):
    today = timezone.localdate()
    user, cadre = cadre_user("zhangmin", name="张敏")
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    _household(cadre, "C", "杨大伯", today - dt.timedelta(days=3))
    overdue = _household(cadre, "A", "王阿婆", today - dt.timedelta(days=15))
    schedule_refresh(households=Household.objects.all(), today=today)

    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}/visits/mine/")
    first = phone_page.get_by_test_id("household-row").first
    assert "王阿婆" in first.inner_text()
    assert first.get_by_test_id("badge-overdue").inner_text().startswith("逾期")

    first.click()
    phone_page.get_by_label("入户").check()
    phone_page.get_by_label("见到的人").fill("王阿婆本人")
    answer_checklist(phone_page, power_safety="hazard")
    phone_page.get_by_label("安全隐患（需跟踪整改）").fill("厨房电线老化裸露")
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url(f"{live_server.url}/visits/mine/?saved=*")
    assert "走访记录已保存" in phone_page.content()
    row = phone_page.locator(f'[data-code="{overdue.code}"]')
    assert row.get_by_test_id("badge-overdue").count() == 0
    assert phone_page.get_by_test_id("badge-overdue").count() == 0

    login(page, "xijiang_li")
    page.goto(f"{live_server.url}/visits/desk/")
    findings = page.get_by_test_id("open-findings")
    assert "厨房电线老化裸露" in findings.inner_text()
    findings.get_by_role("link", name="厨房电线老化裸露").click()
    page.locator("#id_to_status").select_option(label="办结")
    page.get_by_label("办结情况 / 处理说明").fill("已请电工更换电线")
    page.get_by_role("button", name="提交").click()
    assert page.get_by_test_id("finding-status").inner_text() == "已办结"
    assert "已请电工更换电线" in page.get_by_test_id("finding-history").inner_text()
    page.goto(f"{live_server.url}/visits/desk/")
    assert "厨房电线老化裸露" not in page.get_by_test_id("open-findings").inner_text()
