"""A county corrects its campaign (a later deadline, one more group) and ends it early; the
township assessment counts the campaign's figures (docs/campaigns.md). Screenshots for the
guides go to docs/guides/img/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Area, AuditEvent, Role
from beneficiaries.models import SelfCare
from campaigns import actions
from campaigns.models import Campaign, CampaignKind, WaterAlert
from tests.conftest import COUNTY, TOWNSHIP
from tests.e2e.conftest import open_menu
from tests.e2e.test_campaigns_offline import _both
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_county_edits_its_campaign_then_ends_it_early(page, live_server, login):
    today = timezone.localdate()
    county = user_with_role(Role.COUNTY, COUNTY, username="leishan_m", real_name="雷山县 吴科长")
    user_with_role(Role.TOWNSHIP, TOWNSHIP)
    a = HouseholdFactory(tier="A")
    PersonFactory(household=a, name="王阿婆")
    c = HouseholdFactory(tier="C")
    PersonFactory(household=c, name="龙阿婆", self_care=SelfCare.NONE)
    campaign = actions.campaign_declare(
        actor=county, kind=CampaignKind.WATER, name="雷山县季节性缺水送水", area=Area.objects.get(code=COUNTY),
        starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=30), assess_by=today,
        tiers=[], limited_mobility_tiers=["A"], water_every_days=5, today=today - dt.timedelta(days=10))
    assert actions.campaigns_daily(today=today)["alerts"] == 0  # 王阿婆 has no member of limited mobility

    login(page, "leishan_m")
    open_menu(page, "救助应急", "专项行动")
    page.get_by_text("雷山县季节性缺水送水").click()
    page.get_by_test_id("campaign-edit-tab").click()
    later = today + dt.timedelta(days=7)
    page.get_by_label("评估截止日期").fill(later.isoformat())
    page.locator('input[name="limited_mobility_tiers"][value="C"]').check()
    _both(page, "campaign-edit")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("alert").filter(has_text="专项行动已修改")).to_be_visible()
    expect(page.get_by_text(f"评估截止 {later.isoformat()}")).to_be_visible()
    expect(page.get_by_test_id("total-in_scope")).to_have_text("1")  # 龙阿婆 (tier C, cannot fetch water) added
    assert AuditEvent.objects.filter(object_type="campaigns.campaign", action="change").count() == 1

    assert actions.campaigns_daily(today=today + dt.timedelta(days=1))["alerts"] == 1
    page.get_by_test_id("campaign-edit-tab").click()
    page.get_by_label("提前结束原因").fill("连降大雨，旱情解除")
    page.get_by_role("button", name="提前结束").click()
    expect(page.get_by_role("alert").filter(has_text="已提前结束")).to_be_visible()
    expect(page.get_by_test_id("closed-early")).to_be_visible()
    campaign = Campaign.objects.get()
    assert (campaign.closed_on, campaign.ends_on) == (today, today)
    assert WaterAlert.objects.filter(closed_on__isnull=True).count() == 0
    page.get_by_test_id("campaign-edit-tab").click()
    expect(page.get_by_test_id("campaign-ended")).to_contain_text("连降大雨，旱情解除")
    _both(page, "campaign-closed")

    # The township assessment of the campaign's year weighs its 落实率.
    page.goto(f"{live_server.url}/oversight/assessment/?county={COUNTY}&year={campaign.starts_on.year}&kind=township")
    expect(page.get_by_test_id("score-sheet").locator("thead")).to_contain_text("专项行动落实率")
    expect(page.get_by_test_id("campaign-figures").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("campaign-figures")).to_contain_text("0/1")  # 龙阿婆: not assessed, water missed
    page.get_by_test_id("campaign-figures").scroll_into_view_if_needed()
    _both(page, "campaign-assessment")
