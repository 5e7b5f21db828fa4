"""Journeys of the township (monthly caregiver evaluation; a failure starts a replacement) and
of the financial supervisor (draws a reproducible sample, sees only the sampled statements)."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from beneficiaries.models import SelfCare
from custody.models import Replacement, SpotCheck
from tests.conftest import COUNTY, TOWNSHIP
from tests.custody.factories import open_account
from tests.e2e.conftest import open_menu
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_township_evaluates_a_caregiver_from_the_due_list_and_a_failure_starts_a_replacement(page, login,
                                                                                            village_code):
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_e2e", real_name="西江镇 李干事")
    account = open_account(village_code, self_care=SelfCare.NONE, name="龙阿公")
    open_account(village_code, self_care=SelfCare.FULL, name="不需月评")

    login(page, "xijiang_e2e")
    open_menu(page, "资金代管", "照料评估")
    expect(page.get_by_test_id("due-row")).to_have_count(1)
    page.get_by_test_id("due-row").click()
    page.get_by_label("不称职").check()
    page.get_by_label("评估意见").fill("连续两周未按时送餐")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("评估不称职，已启动更换照料护理人。")).to_be_visible()
    assert Replacement.objects.filter(account=account, role="caregiver", closed_on__isnull=True).exists()
    open_menu(page, "资金代管", "照料评估")
    expect(page.get_by_text("本月评估已全部完成。")).to_be_visible()


def test_supervisor_draws_a_sample_and_opens_only_sampled_statements(page, live_server, login, village_code):
    user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY, username="jinrong_e2e", real_name="金融监管分局 龙科长")
    accounts = [open_account(village_code, name=f"对象{i}") for i in range(4)]

    login(page, "jinrong_e2e")
    open_menu(page, "资金代管", "代管抽查")
    page.get_by_role("link", name="抽取样本").click()
    page.get_by_label("抽查比例(%)").fill("50")
    page.get_by_label("抽样复现码(一般不填)").fill("20260316")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("seed")).to_contain_text("抽样复现码 20260316")
    expect(page.get_by_test_id("sample-row")).to_have_count(2)

    row = page.get_by_test_id("sample-row").first
    row.get_by_label("抽查结果").select_option("abnormal")
    row.get_by_label("抽查发现").fill("支取凭证不全")
    row.get_by_role("button", name="记录").click()
    expect(page.get_by_test_id("sample-row").first).to_contain_text("异常：支取凭证不全")

    sampled = set(SpotCheck.objects.get().samples.values_list("account_id", flat=True))
    for account in accounts:
        response = page.goto(f"{live_server.url}/custody/accounts/{account.pk}/statement/")
        assert response.status == (200 if account.pk in sampled else 404)
