"""Exports that work in Excel, read back with openpyxl: numbers are numbers (money two decimals),
totals add up, 序号 starts at 1, place names stand beside codes, the header is frozen."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from tests.conftest import COUNTY
from tests.custody.factories import committee_user, deposit, open_account, withdraw
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def owner(village_code):
    return committee_user(village_code, username="owner_x")


def _numbers(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def test_statement_numbers_totals_serial_and_place(client, owner, village_code):
    # A second account first, so this account's entries do not start at id 1.
    other = open_account(village_code, owner)
    deposit(other, 100, on=dt.date(2026, 3, 1), actor=owner)
    account = open_account(village_code, owner)
    deposit(account, 130000, on=dt.date(2026, 3, 1), actor=owner)
    withdraw(account, 12050, on=dt.date(2026, 3, 5), actor=owner)
    withdraw(account, 2000, on=dt.date(2026, 3, 6), actor=owner)
    client.force_login(owner)
    wb = load_workbook(io.BytesIO(client.get(reverse("custody:statement_xlsx", args=[account.pk])).content))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    data = rows[1:4]
    assert [r[0] for r in data] == [1, 2, 3]
    assert isinstance(data[0][1], dt.datetime) and ws["B2"].number_format == "yyyy-mm-dd"
    assert data[0][5] == 1300 and ws["F2"].number_format == "#,##0.00"
    assert _numbers([data[0][5], data[1][6], data[2][6], *(r[7] for r in data)])
    total = rows[4]
    assert total[0] == "合计"
    assert total[5] == pytest.approx(1300) and total[6] == pytest.approx(140.5)
    assert total[7] == pytest.approx(total[5] - total[6]) == pytest.approx(data[-1][7])
    assert ws.freeze_panes == "A2"
    cells = [c for r in rows for c in r if c]
    assert "雷山县" in cells and "西江镇" in cells


def test_statement_page_counts_from_one(client, owner, village_code):
    other = open_account(village_code, owner)
    deposit(other, 100, on=dt.date(2026, 3, 1), actor=owner)
    account = open_account(village_code, owner)
    deposit(account, 5000, on=dt.date(2026, 3, 1), actor=owner)
    client.force_login(owner)
    html = client.get(reverse("custody:statement", args=[account.pk])).content.decode()
    assert '<tr data-testid="statement-row">\n    <td>1</td>' in html


def test_village_summary_totals(client, owner, village_code):
    for fen in (60000, 45000):
        account = open_account(village_code, owner)
        deposit(account, fen, on=dt.date(2026, 3, 1), actor=owner)
    client.force_login(owner)
    response = client.get(reverse("custody:village_summary", args=[village_code]), {"month": "2026-03", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    end = next(i for i, r in enumerate(rows) if r[0] == "合计")
    body, total = rows[1:end], rows[end]
    assert len(body) == 2
    assert _numbers([r[4] for r in body])
    assert total[4] == pytest.approx(sum(r[4] for r in body)) == pytest.approx(1050)
    assert any("雷山县" in str(c) for r in rows for c in r if c)


def test_referral_export_names_township_and_county(client):
    from tests.services.factories import make_referral, paired_household

    household, cadre = paired_household("cadre_x")
    make_referral(actor=cadre, household=household)
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    ws = load_workbook(io.BytesIO(client.get(reverse("services:export") + "?status=").content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-3:] == ("乡镇(街道)", "县(市)", "村级区划代码")
    assert rows[1][-3:] == ("西江镇", "雷山县", household.village_id)
    assert ws.freeze_panes == "A2"


def test_roster_export_names_every_code(client, village_code):
    h = HouseholdFactory(village_id=village_code)
    PersonFactory(household=h, relation="head")
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    wb = load_workbook(io.BytesIO(b"".join(client.get(reverse("beneficiaries:roster_export")).streaming_content)))
    assert wb.active.freeze_panes == "A2"
    areas = list(wb["区划对照"].iter_rows(values_only=True))
    assert areas[0] == ("村级区划代码", "县(市)", "乡镇(街道)", "村(居)")
    assert areas[1][:3] == (village_code, "雷山县", "西江镇")


def test_visit_ledger_header_is_frozen_under_its_title(client, village_code):
    from tests.conftest import TOWNSHIP

    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    response = client.get(reverse("visits:ledger"), {"area": TOWNSHIP, "month": "2026-03"})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws.freeze_panes == "A3" and ws["A2"].value == "户编号" and ws["A2"].font.bold
