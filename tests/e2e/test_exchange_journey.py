"""Journey: the prefecture bureau issues a department token (its secret shown once), the department
pushes a death list with it, the bureau revokes it; a county officer uploads the disability
federation's list, sees the proposals, and decides them in the quarterly review; then looks at the
data-quality page. A second journey checks the same pages at phone width (no sideways scrolling)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import Role
from beneficiaries import idnumber
from beneficiaries.models import Household
from exchange.models import ApiToken, Proposal
from tests.e2e.conftest import PHONE, RESULTS, open_menu
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, area, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = Path(__file__).resolve().parents[1] / "exchange" / "samples"
COUNTY = "522634000000"


def _person(household, number, **facts):
    born = idnumber.parse(number)
    return PersonFactory(household=household, id_number=number, birth_date=born.birth_date, sex=born.sex, **facts)


def _roster():
    raised = HouseholdFactory(code="LS-CC-1", tier="C", criteria=["C2"])
    _person(raised, "522634197003121011", name="杨老大", benefit_status="dibao", is_main_earner=True,
            work_capacity="none")
    PairingFactory(household=raised)
    _person(raised, "522634201803011127", name="杨小妹", relation="child", work_capacity="able")
    alone = HouseholdFactory(code="LS-CC-2", tier="A", criteria=["A1"])
    _person(alone, "522634193801011716", name="王老汉", benefit_status="tekun", support_mode="dispersed",
            self_care="partial")
    PairingFactory(household=alone)
    return raised, alone


def _shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"exchange-{name}.png"), full_page=True)


def test_token_push_revoke_then_cross_check_decided_in_the_review(page, live_server, login):
    user_with_role(Role.PREFECTURE, "522600000000", username="bureau_j", real_name="州民政局 信息科")
    user_with_role(Role.COUNTY, COUNTY, username="county_j", real_name="雷山县民政局 吴科长")
    raised, alone = _roster()

    # 1. The bureau issues a token to the health commission for 雷山县.
    login(page, "bureau_j")
    open_menu(page, "设置", "部门接口令牌")
    page.get_by_label("用途").fill("州卫健委死亡信息系统")
    page.get_by_label("部门").select_option(label="州卫生健康局")
    page.get_by_label("医疗救助").check()
    page.get_by_label("数据范围").select_option(label=f"{area(COUNTY).name}（{COUNTY}）")
    page.get_by_role("button", name="创建令牌").click()
    secret = page.get_by_test_id("token-value").inner_text().strip()
    assert secret.startswith("care_") and not ApiToken.objects.filter(key_hash=secret).exists()
    _shot(page, "tokens")

    # 2. The department's system pushes its death list with it (HTTP, not a page).
    api = f"{live_server.url}/api/v1/status-lists/"
    headers = {"Authorization": f"Bearer {secret}"}
    rows = [{"姓名": "王老汉", "身份证号": "522634193801011716", "死亡日期": "2026-02-10"}]
    response = page.request.post(api, data={"source": "death", "rows": rows}, headers=headers)
    assert response.status == 201 and response.json()["proposals"] == 1
    assert Household.objects.get(pk=alone.pk).status == "active"

    # 3. Revoked, it stops at once.
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="吊销").click()
    assert "已吊销" in page.get_by_test_id("tokens").inner_text()
    assert page.request.post(api, data={"source": "death", "rows": rows}, headers=headers).status == 401

    # 4. The county uploads the disability federation's list.
    page.context.clear_cookies()
    login(page, "county_j")
    open_menu(page, "花名册", "部门数据比对")
    page.get_by_label("名单类型").select_option(label="残联 残疾人证")
    page.get_by_label("名单文件(.xlsx或.csv)").set_input_files(str(SAMPLES / "disability.csv"))
    page.get_by_role("button", name="上传并比对").click()
    assert "比对完成" in page.get_by_role("alert").first.inner_text()
    assert page.get_by_test_id("count-proposals").inner_text() == "1"
    assert "类别调整" in page.get_by_test_id("proposal-row").inner_text()
    _shot(page, "cross-check")
    assert Household.objects.get(pk=raised.pk).tier == "C"  # nothing changed yet

    # 5. Both proposals wait in this quarter's review; the officer decides each with a reason.
    open_menu(page, "花名册", "季度动态调整")
    page.get_by_role("button", name="开始本季度动态调整").click()
    assert page.get_by_test_id("count-proposals").inner_text() == "2"
    tier_row = page.get_by_test_id("proposal-row").filter(has_text="LS-CC-1")
    assert "按部门数据建议：B类" in tier_row.inner_text()
    tier_row.get_by_label("决定理由").fill("残联证件核实：肢体一级，丧失劳动能力")
    tier_row.get_by_role("button", name="同意", exact=True).click()
    assert "已决定" in page.get_by_role("alert").first.inner_text()
    exit_row = page.get_by_test_id("proposal-row").filter(has_text="LS-CC-2")
    exit_row.get_by_label("决定理由").fill("村委会证明死亡信息有误，老人健在")
    exit_row.get_by_role("button", name="不同意", exact=True).click()
    assert page.get_by_test_id("count-proposals").inner_text() == "0"
    assert page.get_by_test_id("decided-row").count() == 2
    page.locator("#proposals").scroll_into_view_if_needed()
    _shot(page, "review")
    raised.refresh_from_db()
    assert (raised.tier, raised.criteria) == ("B", ["B1"])
    assert Household.objects.get(pk=alone.pk).status == "active"
    assert Proposal.objects.get(household=alone).status == "rejected"

    # 6. The data-quality page of the county: an 8-year-old recorded as able to work.
    open_menu(page, "花名册", "数据质量")
    assert page.get_by_test_id("count-child_able").inner_text() == "1"
    page.get_by_test_id("quality-counts").get_by_text("未满16周岁却登记有劳动能力").click()
    assert "杨小妹" in page.get_by_test_id("quality-row").inner_text()
    _shot(page, "quality")

    # 7. The API reference page, in Chinese, served without a CDN.
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.get_by_role("heading", name="推送本部门名单(比对)").first.wait_for()
    _shot(page, "api-docs")


def test_the_exchange_pages_fit_a_phone(browser, live_server, login):
    user_with_role(Role.PREFECTURE, "522600000000", username="bureau_p")
    user_with_role(Role.TOWNSHIP, "522634101000", username="xj_p")
    raised, _alone = _roster()
    pages = {
        "bureau_p": ["/exchange/tokens/", "/exchange/cross-checks/", "/exchange/quality/", "/api/v1/docs/"],
        "xj_p": [f"/exchange/households/{raised.pk}/propose/exit/", "/exchange/proposals/",
                 "/exchange/proposals/entry/", "/exchange/quality/"],
    }
    for user, urls in pages.items():
        # A context per user: a page's background requests (the reference page fetches its schema)
        # could otherwise bring a cleared session cookie back.
        context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, user)
        for url in urls:
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (url, width)
            _shot(page, "phone-" + url.strip("/").replace("/", "-"))
        context.close()
