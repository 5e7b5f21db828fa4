"""Journeys of issue 9 on a 390×844 phone (server side of capture):
(c) a blank visit is refused with a Chinese message naming the missing items;
(d) a ticked house hazard is an open finding on the township desk at once;
two visits in a row to one household from the same browser → 2 stored and shown;
a phone visit outside a special period is announced as not counted, before and after saving.
Screenshots for the cadre and township guides: written to docs/guides/img/ when GUIDE_SCREENSHOTS=1
(`GUIDE_SCREENSHOTS=1 pytest tests/e2e/test_visits_capture_journey.py`), else to test-results/guide/
so an ordinary run leaves the docs untouched."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from beneficiaries.models import Classification, Household
from tests.conftest import TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role
from visits.actions import schedule_refresh
from visits.models import Finding, Visit

from .visit_form import answer_checklist

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / "docs" / "guides" / "img" if os.environ.get("GUIDE_SCREENSHOTS") == "1" else ROOT / "test-results" / "guide"


def _shot(page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name), full_page=True)


def _paired_household(username="zhangmin", head="王阿婆"):
    user, cadre = cadre_user(username, name="张敏")
    h = HouseholdFactory(tier="A", tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=h, tier="A", criteria=["A1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head)
    PairingFactory(household=h, cadre=cadre, started_on=dt.date(2025, 1, 1))
    schedule_refresh(households=Household.objects.all(), today=timezone.localdate())
    return h, user


def test_c_a_blank_visit_is_refused_naming_the_missing_items(phone_page, live_server, login):
    household, _user = _paired_household()
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}{reverse('visits:record', args=[household.pk])}")
    phone_page.get_by_label("见到的人").fill("王阿婆本人")
    phone_page.locator('input[name="health"][value="fair"]').check()
    phone_page.get_by_role("button", name="保存走访记录").click()
    errors = phone_page.get_by_test_id("form-errors")
    text = errors.inner_text()
    assert "以下必答项尚未作答（没有问到的请选“未询问”）" in text
    for item in ("食", "享受社会保障待遇", "赡养扶养义务履行", "房屋安全", "取暖安全", "服务需求", "本人意愿"):
        assert item in text
    assert "健康情况" not in text  # answered
    assert phone_page.get_by_label("见到的人").input_value() == "王阿婆本人"  # nothing typed is lost
    assert phone_page.locator('input[name="health"][value="fair"]').is_checked()
    assert Visit.objects.count() == 0
    _shot(phone_page, "cadre-visit-missing-items.png")

    # "未询问" is an answer: the same visit with every other item not asked is accepted.
    for name in ("food", "clothing", "housing", "transport", "medical", "family_support", "house_safety",
                 "water_safety", "power_safety", "gas_safety", "heating_safety", "benefits", "needs"):
        phone_page.locator(f'input[name="{name}"][value="not_asked"]').check()
    phone_page.get_by_label("未询问本人意愿").check()
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url("**/visits/mine/?saved=*")
    assert Visit.objects.get().food == "not_asked"


def test_d_a_ticked_house_hazard_is_an_open_finding_on_the_township_desk(phone_page, page, live_server, login):
    household, _user = _paired_household()
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}/visits/mine/")
    phone_page.get_by_test_id("household-row").first.click()
    answer_checklist(phone_page, house_safety="hazard")
    assert phone_page.get_by_text("当场已排除的隐患（不再跟踪）").is_visible()
    phone_page.get_by_label("安全隐患（需跟踪整改）").fill("厢房木柱虫蛀，屋顶漏雨")
    _shot(phone_page, "cadre-visit-form.png")
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url("**/visits/mine/?saved=*")
    assert "已登记 1 个待办问题" in phone_page.content()
    finding = Finding.objects.get()
    assert (finding.kind, finding.status) == ("hazard", "open")

    login(page, "xijiang_li")
    page.goto(f"{live_server.url}/visits/desk/")
    findings = page.get_by_test_id("open-findings")
    assert "房屋安全有隐患：厢房木柱虫蛀" in findings.inner_text()
    assert household.code in findings.inner_text()
    _shot(page, "township-desk-hazard.png")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "township-desk-hazard-phone.png")


def test_two_visits_in_a_row_from_one_browser_are_both_stored_and_shown(phone_page, live_server, login):
    household, _user = _paired_household()
    login(phone_page, "zhangmin")
    record = f"{live_server.url}{reverse('visits:record', args=[household.pk])}"
    tokens = []
    for notes in ("上午送米送油", "下午陪同就医回访"):
        phone_page.goto(record)
        tokens.append(phone_page.locator('input[name="client_token"]').input_value())
        answer_checklist(phone_page)
        phone_page.get_by_label("走访记录").fill(notes)
        phone_page.get_by_role("button", name="保存走访记录").click()
        phone_page.wait_for_url(f"**/visits/mine/?saved={tokens[-1]}")
        assert "王阿婆 的走访记录已保存" in phone_page.content()
    assert tokens[0] != tokens[1]
    _shot(phone_page, "cadre-visit-saved.png")
    assert sorted(Visit.objects.values_list("notes", flat=True)) == ["上午送米送油", "下午陪同就医回访"]
    phone_page.goto(f"{live_server.url}{reverse('visits:household', args=[household.pk])}")
    timeline = phone_page.get_by_test_id("timeline").inner_text()
    assert "上午送米送油" in timeline and "下午陪同就医回访" in timeline


def test_a_phone_visit_is_announced_as_not_counted_before_and_after_saving(phone_page, live_server, login):
    household, _user = _paired_household()
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}{reverse('visits:record', args=[household.pk])}")
    warning = phone_page.get_by_test_id("remote-warning")
    assert not warning.is_visible()
    phone_page.get_by_label("电话", exact=True).check()
    assert warning.is_visible() and "不计入有效走访" in warning.inner_text()
    answer_checklist(phone_page)
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url("**/visits/mine/?saved=*")
    assert "电话走访不在特殊时期，已记录但不计入有效走访" in phone_page.content()
    assert Visit.objects.get().counted is False
    phone_page.goto(f"{live_server.url}{reverse('visits:household', args=[household.pk])}")
    assert "不计入" in phone_page.get_by_test_id("timeline").inner_text()


def test_township_sees_capture_time_and_position_for_spot_checks_cadre_does_not(phone_page, page, live_server,
                                                                               login):
    household, cadre = _paired_household()
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    # The phone knows where it is and the cadre allows the page to ask (static/js/visit-form.js).
    phone_page.context.grant_permissions(["geolocation"], origin=live_server.url)
    phone_page.context.set_geolocation({"latitude": 26.491234, "longitude": 108.169876, "accuracy": 18})
    login(phone_page, "zhangmin")
    phone_page.goto(f"{live_server.url}{reverse('visits:record', args=[household.pk])}")
    answer_checklist(phone_page, power_safety="hazard", gas_safety="hazard")
    phone_page.locator('input[name="hazards_fixed"][value="gas_safety"]').check()
    phone_page.get_by_role("button", name="保存走访记录").click()
    phone_page.wait_for_url("**/visits/mine/?saved=*")
    timeline_url = f"{live_server.url}{reverse('visits:household', args=[household.pk])}"
    phone_page.goto(timeline_url)
    assert "26.491234" not in phone_page.content()
    assert phone_page.get_by_test_id("visit-hazards").inner_text() == "安全隐患：用电、用气（当场已排除）"

    login(page, "xijiang_li")
    page.goto(timeline_url)
    capture = page.get_by_test_id("visit-capture").inner_text()
    assert "采集" in capture and "上传" in capture and "26.491234, 108.169876（±18米）" in capture
    _shot(page, "township-visit-timeline.png")
    page.goto(f"{live_server.url}{reverse('visits:record', args=[household.pk])}")
    _shot(page, "visit-form-desktop.png")
    page.goto(timeline_url)
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "township-visit-timeline-phone.png")
