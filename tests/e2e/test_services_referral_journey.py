"""Journey: a cadre records a visit that finds possible medical-aid eligibility and refers it →
the referral appears in the 医保局 inbox → the liaison accepts and resolves it → the finding
closes and the cadre sees the outcome on the household page."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Department, Role
from beneficiaries.models import Classification
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role
from visits.models import Finding, FindingStatus

from .conftest import DESKTOP, PHONE
from .visit_form import answer_checklist

pytestmark = pytest.mark.django_db(transaction=True)
GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def test_medical_aid_referral_from_a_visit_is_resolved_and_closes_the_finding(phone_page, page, live_server, login):
    _user, cadre = cadre_user("zhangmin", name="张敏")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=household, tier="A", criteria=["A1"], effective_on=dt.date(2025, 1, 1))
    head = PersonFactory(household=household, name="王阿婆", phone="13912345678")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2025, 1, 1))
    user_with_role(Role.DEPARTMENT, department=Department.objects.get(code="medical-security"),
                   username="yibao_pan", real_name="州医保局 联络员 潘丽")
    household_url = f"{live_server.url}{reverse('beneficiaries:household_detail', args=[household.pk])}"

    # The cadre, on a phone, records the visit and notes the possible eligibility.
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}{reverse('visits:record', args=[household.pk])}")
    phone_page.get_by_label("入户").check()
    answer_checklist(phone_page)
    phone_page.get_by_label("可能符合的救助政策（告知并协助申请）").fill("住院自付费用高，可能符合医疗救助")
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url(f"{live_server.url}{reverse('visits:mine')}")  # saved through the outbox, then 我的结对户
    assert "走访记录已保存" in phone_page.content()

    # …then refers the finding from the household's 转介 tab to 医疗救助.
    phone_page.goto(household_url)
    phone_page.locator("#tab-referrals").click()
    phone_page.get_by_test_id("refer-finding").click()
    phone_page.get_by_label("帮扶领域").select_option(label="2. 医疗救助（州医保局）")
    phone_page.get_by_role("button", name="提交转介").click()
    assert "转介已提交至州医保局" in phone_page.content()

    # The liaison finds it in the inbox, with the minimum personal data only.
    login(page, "yibao_pan")
    page.get_by_role("link", name="转介收件箱").first.click()
    row = page.get_by_test_id("referral-row").first
    assert "王阿婆" in row.inner_text() and "医疗救助" in row.inner_text()
    row.get_by_role("link", name="王阿婆").click()
    assert page.get_by_test_id("subject-id").inner_text() == head.id_masked
    assert head.id_number not in page.content()
    # The department filter offers only the liaison's own department (no 全部部门).
    page.go_back()
    options = page.get_by_label("部门").locator("option").all_inner_texts()
    assert options == ["州医保局"]
    row.get_by_role("link", name="王阿婆").click()

    # Explicit buttons: 受理, then 办结 with the outcome; 不予受理 needs its reason.
    transition = page.get_by_test_id("transition-form")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(GUIDE_IMG / "referral-liaison-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(GUIDE_IMG / "referral-liaison-1366.png"), full_page=True)
    transition.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_test_id("referral-status").first).to_have_text("已受理")
    expect(page.get_by_test_id("referral-timeline")).to_contain_text("已提交 → 已受理")
    page.get_by_label("办理结果").fill("已纳入医疗救助对象，住院费用按A类标准救助")
    page.get_by_test_id("referral-resolve").click()
    expect(page.get_by_test_id("referral-status").first).to_have_text("已办结")
    timeline = page.get_by_test_id("referral-timeline").inner_text()
    assert "受理" in timeline and "已受理 → 已办结" in timeline

    # The finding is closed, and the cadre sees the outcome on the household page.
    finding = Finding.objects.get(household=household)
    assert finding.status == FindingStatus.CLOSED
    phone_page.goto(household_url)
    phone_page.locator("#tab-referrals").click()
    outcome = phone_page.get_by_test_id("household-referral-outcome")
    assert "已纳入医疗救助对象" in outcome.inner_text()
    phone_page.goto(f"{live_server.url}{reverse('visits:finding', args=[finding.pk])}")
    assert phone_page.get_by_test_id("finding-status").inner_text() == "已办结"
