"""Pages of fund custody: three-user scoping (owner, colleague in scope, outsider → 404), the
supervisor who sees only sampled accounts, forms that keep input and post once, audited exports."""

import datetime as dt
import io
import uuid

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, Role
from custody import actions
from custody.models import CustodyAccount, LedgerEntry
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.custody.factories import OPENED, TODAY, committee_user, deposit, open_account, withdraw
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def owner(village_code):
    return committee_user(village_code, username="owner")


@pytest.fixture
def account(village_code, owner):
    account = open_account(village_code, owner)
    deposit(account, 60000, on=dt.date(2026, 3, 1), actor=owner)
    withdraw(account, 12050, on=dt.date(2026, 3, 5), actor=owner)
    return account


ACCOUNT_PAGES = ["account_detail", "statement", "statement_xlsx", "deposit", "withdraw", "check_sign", "evaluate"]


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_owner_and_township_colleague_open_account_pages_outsider_gets_404(client, account, owner, name):
    colleague = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    url = reverse(f"custody:{name}", args=[account.pk])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(colleague)
    # The township sees the account; only the village committee signs its checks.
    assert client.get(url).status_code == (403 if name == "check_sign" else 200)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_account_list_shows_only_accounts_in_scope(client, account, owner, other_village_code):
    other = open_account(other_village_code)
    client.force_login(owner)
    rows = client.get(reverse("custody:account_list")).context["rows"]
    assert [r.pk for r in rows] == [account.pk]
    county = user_with_role(Role.COUNTY, COUNTY)
    client.force_login(county)
    assert {r.pk for r in client.get(reverse("custody:account_list")).context["rows"]} == {account.pk, other.pk}


def test_the_account_list_does_not_query_per_row(client, village_code, owner, django_assert_max_num_queries):
    for _ in range(6):
        a = open_account(village_code, owner)
        deposit(a, 1000, on=dt.date(2026, 3, 1))
    client.force_login(owner)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("custody:account_list"))
    assert len(response.context["rows"]) == 6


def test_the_supervisor_sees_only_sampled_accounts(client, village_code):
    committee = committee_user(village_code)
    accounts = [open_account(village_code, committee) for _ in range(10)]
    supervisor = user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY, username="jinrong1")
    colleague = user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY, username="jinrong2")
    outsider = user_with_role(Role.FINANCIAL_SUPERVISOR, "522601000000", username="kaili")
    from accounts.models import Area

    client.force_login(supervisor)
    assert client.get(reverse("custody:statement", args=[accounts[0].pk])).status_code == 404
    spot = actions.spot_check_draw(area=Area.objects.get(code=COUNTY), percent=30, seed=20260316, actor=supervisor,
                                   today=TODAY)
    sampled = set(spot.samples.values_list("account_id", flat=True))
    assert len(sampled) == 3
    for a in accounts:
        expected = 200 if a.pk in sampled else 404
        client.force_login(supervisor)
        assert client.get(reverse("custody:statement", args=[a.pk])).status_code == expected
        client.force_login(colleague)
        assert client.get(reverse("custody:statement", args=[a.pk])).status_code == expected
        client.force_login(outsider)
        assert client.get(reverse("custody:statement", args=[a.pk])).status_code == 404
    client.force_login(supervisor)
    listed = {r.pk for r in client.get(reverse("custody:account_list")).context["rows"]}
    assert listed == sampled
    client.force_login(outsider)
    assert client.get(reverse("custody:spot_check_detail", args=[spot.pk])).status_code == 404


def test_the_sample_is_reproducible_from_the_recorded_seed(village_code):
    from accounts.models import Area
    from custody import rules

    committee = committee_user(village_code)
    for _ in range(12):
        open_account(village_code, committee, custodian=False, caregiver=False)
    supervisor = user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY)
    spot = actions.spot_check_draw(area=Area.objects.get(code=COUNTY), percent=25, actor=supervisor, today=TODAY)
    sample = sorted(spot.samples.values_list("account_id", flat=True))
    assert rules.draw_sample(spot.population_ids, spot.percent, spot.seed) == sample
    again = actions.spot_check_draw(area=Area.objects.get(code=COUNTY), percent=25, seed=spot.seed, actor=supervisor,
                                    today=TODAY)
    assert sorted(again.samples.values_list("account_id", flat=True)) == sample


def test_the_supervisor_records_a_finding(client, account):
    from accounts.models import Area

    supervisor = user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY)
    spot = actions.spot_check_draw(area=Area.objects.get(code=COUNTY), percent=100, actor=supervisor, today=TODAY)
    sample = spot.samples.get()
    client.force_login(supervisor)
    client.post(reverse("custody:sample_finding", args=[spot.pk, sample.pk]), {"result": "abnormal", "finding": "3月5日支取无票据原件"})
    sample.refresh_from_db()
    assert (sample.result, sample.finding, sample.checked_on) == ("abnormal", "3月5日支取无票据原件", TODAY)


def test_a_deposit_form_submitted_twice_posts_once(client, account, owner):
    client.force_login(owner)
    key = str(uuid.uuid4())
    data = {"amount": "350.50", "fund_type": "dibao", "entry_date": "2026-03-10", "note": "3月低保", "idempotency_key": key}
    url = reverse("custody:deposit", args=[account.pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    account.refresh_from_db()
    assert account.balance_fen == 60000 - 12050 + 35050
    assert LedgerEntry.objects.filter(idempotency_key=key).count() == 1


def test_a_too_large_withdrawal_keeps_the_form_and_says_why(client, account, owner):
    client.force_login(owner)
    data = {"amount": "9999", "purpose": "food", "entry_date": "2026-03-10", "receipt_number": "R9",
            "idempotency_key": str(uuid.uuid4())}
    response = client.post(reverse("custody:withdraw", args=[account.pk]), data)
    assert response.status_code == 200
    assert "余额不足：当前余额 479.50 元，本笔需 9,999.00 元。" in response.content.decode()
    assert response.context["form"]["amount"].value() == "9999"


def test_a_bad_amount_is_refused_in_chinese(client, account, owner):
    client.force_login(owner)
    response = client.post(reverse("custody:deposit", args=[account.pk]),
                           {"amount": "12.345", "fund_type": "dibao", "entry_date": "2026-03-10",
                            "idempotency_key": str(uuid.uuid4())})
    assert "请输入正确的金额" in response.content.decode()


def test_opening_an_ineligible_person_shows_the_unmet_condition(client, owner, village_code):
    from tests.custody.factories import eligible_person

    person = eligible_person(village_code, guardian_name="龙母", guardian_can_act=True)
    client.force_login(owner)
    response = client.post(reverse("custody:account_open"), {"person": person.pk, "opened_on": "2026-03-16", "reason": "试"})
    assert "的监护人（龙母）能够正常履行监护职责" in response.content.decode()
    assert not CustodyAccount.objects.filter(person=person).exists()


def test_the_statement_export_is_audited_and_has_the_running_balance(client, account, owner):
    client.force_login(owner)
    response = client.get(reverse("custody:statement_xlsx", args=[account.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:8] == ("序号", "发生日期", "类型", "资金类型/用途", "摘要", "收入(元)", "支出(元)", "余额(元)")
    assert [r[7] for r in rows[1:3]] == [600, 479.5]  # numbers, so Excel can sum them
    assert [r[11] for r in rows[1:3]] == ["吴照料", "吴照料"]
    assert AuditEvent.objects.filter(actor=owner, action="export", object_id=str(account.pk)).exists()


def test_viewing_an_account_is_audited(client, account, owner):
    client.force_login(owner)
    client.get(reverse("custody:account_detail", args=[account.pk]))
    assert AuditEvent.objects.filter(actor=owner, action="view", object_type="custody.custodyaccount").exists()


def test_village_summary_totals_the_month(client, account, owner, village_code, other_village_code):
    client.force_login(owner)
    response = client.get(reverse("custody:village_summary", args=[village_code]), {"month": "2026-03"})
    row = response.context["rows"][0]
    assert (row.opening_fen, row.income_fen, row.expense_fen, row.closing_fen) == (0, 60000, 12050, 47950)
    xlsx = client.get(reverse("custody:village_summary", args=[village_code]), {"month": "2026-03", "format": "xlsx"})
    header = next(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert header[:4] == ("代管对象", "户编号", "状态", "期初余额(元)")
    outsider = user_with_role(Role.VILLAGE_COMMITTEE, other_village_code)
    client.force_login(outsider)
    assert client.get(reverse("custody:village_summary", args=[village_code])).status_code == 404


def test_a_signed_check_via_the_page(client, account, owner):
    client.force_login(owner)
    response = client.post(reverse("custody:check_sign", args=[account.pk]), {
        "period_start": "2026-01-05", "period_end": "2026-03-16", "result": "abnormal", "issues": "", "sign": "on"})
    assert "请写明发现的问题" in response.content.decode()
    client.post(reverse("custody:check_sign", args=[account.pk]), {
        "period_start": "2026-01-05", "period_end": "2026-03-16", "result": "normal", "issues": "", "sign": "on"})
    check = account.checks.get()
    assert (check.checker, check.result, check.balance_fen) == (owner, "normal", 47950)


def test_a_county_officer_may_read_but_not_post(client, account):
    county = user_with_role(Role.COUNTY, COUNTY)
    client.force_login(county)
    assert client.get(reverse("custody:account_detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("custody:deposit", args=[account.pk])).status_code == 403


def test_meeting_page_elects_a_custodian_and_minutes_are_scoped(client, village_code, owner):
    from tests.custody.factories import meeting, villager_id

    account = open_account(village_code, owner, custodian=False)
    m = meeting(village_code, owner, held_on=dt.date(2026, 3, 1))
    client.force_login(owner)
    response = client.post(reverse("custody:meeting_detail", args=[m.pk]), {
        "account": account.pk, "name": "潘寨老", "id_number": villager_id(), "is_village_elder": "on",
        "started_on": "2026-03-01"})
    assert response.status_code == 302
    assert account.custodians.get().name == "潘寨老"
    assert client.get(reverse("custody:meeting_minutes", args=[m.pk])).status_code == 200
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("custody:meeting_minutes", args=[m.pk])).status_code == 404
    assert client.get(reverse("custody:meeting_detail", args=[m.pk])).status_code == 404


def test_committee_head_refused_on_the_meeting_page(client, village_code, owner):
    from tests.custody.factories import meeting, villager_id

    account = open_account(village_code, owner, custodian=False)
    m = meeting(village_code, owner, held_on=dt.date(2026, 3, 1))
    client.force_login(owner)
    response = client.post(reverse("custody:meeting_detail", args=[m.pk]), {
        "account": account.pk, "name": "侯主任", "id_number": villager_id(), "is_party_member": "on",
        "is_committee_head": "on", "started_on": "2026-03-01"})
    assert "村(居)两委负责人不能担任保障资金代管人。" in response.content.decode()
    assert not account.custodians.exists()


def test_the_prefecture_sets_a_county_ceiling_and_it_is_audited(client):
    user = user_with_role(Role.PREFECTURE, "522600000000")
    client.force_login(user)
    client.post(reverse("custody:policy"), {"county": COUNTY, "ceiling": "5000"})
    from custody.models import CustodyPolicy

    assert CustodyPolicy.objects.get(county_id=COUNTY).balance_ceiling_fen == 500000
    assert AuditEvent.objects.filter(actor=user, object_type="custody.custodypolicy").exists()
    assert OPENED  # the default factory date is before every ceiling change


def test_the_account_page_does_not_query_per_entry(client, account, owner, django_assert_max_num_queries):
    for day in range(6, 16):
        deposit(account, 100, on=dt.date(2026, 3, day))
    client.force_login(owner)
    with django_assert_max_num_queries(17):  # +1: the RLS scope of the request (accounts/rls.py)
        response = client.get(reverse("custody:account_detail", args=[account.pk]))
    assert len(response.context["entries"]) == 12
    with django_assert_max_num_queries(12):  # +1: the RLS scope of the request
        response = client.get(reverse("custody:statement", args=[account.pk]))
    assert [e.running_fen for e in response.context["entries"]][-1] == 60000 - 12050 + 1000


def test_the_household_page_shows_its_custody_accounts_in_scope(client, village_code):
    account = open_account(village_code, name="龙阿婆")
    url = reverse("beneficiaries:household_detail", args=[account.person.household_id])
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP, username="tab_owner"))
    page = client.get(url).content.decode()
    assert 'data-testid="custody-tab"' in page and "龙阿婆" in page and "吴照料" in page
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="tab_outsider"))
    assert client.get(url).status_code == 404


def test_the_supervisor_is_told_the_list_is_a_sample_how_it_was_drawn_and_how_to_start_one(client, village_code):
    from accounts.models import Area

    committee = committee_user(village_code)
    for _ in range(10):
        open_account(village_code, committee)
    supervisor = user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY, username="jinrong1")
    client.force_login(supervisor)
    body = client.get(reverse("custody:account_list")).content.decode()
    assert "您看到的是抽查样本中的账户：0 个" in body and "在管账户共 10 个" in body
    assert "您还没有发起过抽查" in body and reverse("custody:spot_check_list") in body
    assert 'data-testid="accounts-empty"' in body and "请发起抽查" in body
    actions.spot_check_draw(area=Area.objects.get(code=COUNTY), percent=30, seed=20260316, actor=supervisor,
                            today=TODAY)
    for url in (reverse("custody:account_list"), "/"):
        body = client.get(url, follow=True).content.decode()
        assert "您看到的是抽查样本中的账户：3 个" in body and "在管账户共 10 个" in body
        assert "10 个在管账户中按 30% 随机抽取" in body
    # Others see no such note: their list is their area's.
    client.force_login(committee)
    assert 'data-testid="sample-note"' not in client.get(reverse("custody:account_list")).content.decode()
