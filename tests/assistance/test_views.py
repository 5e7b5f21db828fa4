"""Pages of assistance: scope (outside = 404), the roll call's JSON contract, exports read back."""

import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Area, AuditEvent, Role
from assistance import actions
from assistance.exports import LEDGER_HEADERS, REPORT_HEADERS
from assistance.models import ApplicationStatus, RollCall
from tests.assistance.factories import TODAY, funded, household, officials, raise_app
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(village_code):
    return officials(village_code)


@pytest.fixture
def event(people):
    return actions.emergency_declare(
        kind="flood", title="洪涝", county=Area.objects.get(code=COUNTY), areas=[Area.objects.get(code=TOWNSHIP)],
        starts_on=TODAY, ends_on=None, special_period=False, description="", actor=people["county"], today=TODAY)


def test_an_application_outside_scope_is_404_and_a_view_is_audited(client, people, village_code):
    app = raise_app(people["village"], household(village_code))
    url = reverse("assistance:application", args=[app.pk])
    for outsider in (user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP), user_with_role(Role.COUNTY, OTHER_COUNTY)):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(people["township"])
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(actor=people["township"], action="view", object_id=str(app.pk)).exists()


def test_the_village_raises_and_the_township_fast_pays_through_the_pages(client, people, village_code):
    funded(people["county"])
    h = household(village_code)
    client.force_login(people["village"])
    response = client.post(reverse("assistance:application_new"), {
        "household": h.pk, "kind": "urgent", "amount_fen": "800", "reasons": "火灾"})
    app = h.assistance_applications.get()
    assert response.status_code == 302 and app.amount_fen == 80_000
    client.force_login(people["township"])
    key = str(uuid.uuid4())
    data = {"step": "fast_pay", "pay-paid_on": "2026-11-30", "pay-channel": "cash", "pay-note": "",
            "pay-idempotency_key": key}
    assert client.post(reverse("assistance:application", args=[app.pk]), data).status_code == 302
    # The second press answers the application's page (what was done), not an error page.
    again = client.post(reverse("assistance:application", args=[app.pk]), data, follow=True)
    assert again.status_code == 200 and "该环节已办理，未重复办理" in again.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.FAST_PAID and app.reserve_entries.count() == 1
    # Someone who may not act on applications still gets a refusal.
    client.force_login(people["village"])
    assert client.post(reverse("assistance:application", args=[app.pk]), data).status_code == 403


def test_a_bad_amount_keeps_what_was_typed(client, people, village_code):
    h = household(village_code)
    client.force_login(people["village"])
    response = client.post(reverse("assistance:application_new"), {
        "household": h.pk, "kind": "urgent", "amount_fen": "八百", "reasons": "房屋倒塌，需要临时安置"})
    html = response.content.decode()
    assert response.status_code == 200 and "请输入正确的金额" in html and "房屋倒塌，需要临时安置" in html
    assert not h.assistance_applications.exists()


def test_the_ledger_export_has_numbers_totals_and_place_names(client, people, village_code):
    funded(people["county"], 500_000)
    app = raise_app(people["village"], household(village_code), amount_fen=12_345)
    actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="bank",
                                 today=TODAY)
    client.force_login(people["county"])
    response = client.get(reverse("assistance:fund_xlsx", args=[COUNTY]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0][: len(LEDGER_HEADERS)]) == LEDGER_HEADERS
    assert rows[1][0] == 1 and rows[1][7] == 5000.0
    assert rows[2][8] == 123.45 and rows[2][5] and rows[2][9] == 4876.55
    assert rows[-1][0] == "合计" and rows[-1][7] == 5000.0 and rows[-1][8] == 123.45
    assert ws.freeze_panes == "A2"
    assert AuditEvent.objects.filter(action="export", details__report="reserve_ledger").exists()


def test_roll_call_json_stores_a_token_once_and_asks_to_log_in_again(client, people, event, village_code):
    h = household(village_code)
    url = reverse("assistance:roll_call", args=[event.pk])
    token = str(uuid.uuid4())
    body = {"household": h.pk, "status": "needs_rescue", "note": "屋后塌方", "client_token": token,
            "checked_at": "2026-11-30T08:10:00.000Z"}
    assert client.post(url, body, HTTP_ACCEPT="application/json").status_code == 401
    client.force_login(people["village"])
    first = client.post(url, body, HTTP_ACCEPT="application/json")
    again = client.post(url, body, HTTP_ACCEPT="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["client_token"] == token and again.json()["created"] is False
    assert RollCall.objects.get().checked_at.isoformat().startswith("2026-11-30T08:10")
    outsider = household("522634100001") if Area.objects.filter(code="522634100001").exists() else None
    if outsider:
        response = client.post(url, {**body, "household": outsider.pk, "client_token": str(uuid.uuid4())},
                               HTTP_ACCEPT="application/json")
        assert response.status_code == 404


def test_an_event_of_another_county_is_404(client, event):
    client.force_login(user_with_role(Role.COUNTY, OTHER_COUNTY))
    for name in ("emergency", "roll_call", "emergency_report"):
        assert client.get(reverse(f"assistance:{name}", args=[event.pk])).status_code == 404


def test_the_event_report_lists_every_affected_household_with_place_names(client, people, event, village_code):
    hs = [household(village_code) for _ in range(3)]
    actions.roll_call_mark(emergency=event, household=hs[0], status="unreachable", actor=people["township"])
    client.force_login(people["county"])
    response = client.get(reverse("assistance:emergency_report", args=[event.pk]) + "?format=xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb["点名核查"].iter_rows(values_only=True))
    assert list(rows[0]) == REPORT_HEADERS and len(rows) == 4
    assert {r[1] for r in rows[1:]} == {"西江镇"} and all(r[2] for r in rows[1:])
    assert sorted(r[6] for r in rows[1:]) == ["失联", "未核查", "未核查"]
    summary = list(wb["按村汇总"].iter_rows(values_only=True))
    assert summary[-1][0] == "合计" and summary[-1][2] == 3 and summary[-1][3] == 2
    page = client.get(reverse("assistance:emergency_report", args=[event.pk])).content.decode()
    assert "尚未核查 2 户" in page


def test_every_page_of_the_app_opens_for_its_users(client, people, event, village_code):
    funded(people["county"])
    app = raise_app(people["village"], household(village_code))
    pages = {
        "village": ["assistance:applications", "assistance:application_new", "assistance:emergencies"],
        "township": ["assistance:applications", "assistance:funds", "assistance:emergencies"],
        "county": ["assistance:applications", "assistance:funds", "assistance:policy", "assistance:emergencies",
                   "assistance:emergency_new"],
    }
    for who, names in pages.items():
        client.force_login(people[who])
        for name in names:
            assert client.get(reverse(name)).status_code == 200, (who, name)
        for name, args in (("assistance:application", [app.pk]), ("assistance:emergency", [event.pk]),
                           ("assistance:roll_call", [event.pk]), ("assistance:emergency_report", [event.pk])):
            response = client.get(reverse(name, args=args))
            assert response.status_code == 200, (who, name)
    client.force_login(people["county"])
    assert client.get(reverse("assistance:fund", args=[COUNTY])).status_code == 200
    client.force_login(people["village"])
    assert client.get(reverse("assistance:policy")).status_code == 404


def test_the_ledger_export_writes_formula_payloads_as_text(client, people):
    from assistance.models import ReserveFund

    funded(people["county"])
    actions.reserve_allocate(county=Area.objects.get(code=COUNTY), amount_fen=100, entry_date=TODAY,
                             note='=HYPERLINK("http://x.example/","点我")', actor=people["county"])
    client.force_login(people["county"])
    ws = load_workbook(io.BytesIO(client.get(reverse("assistance:fund_xlsx", args=[COUNTY])).content)).active
    notes = [row[10] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x.example/\",\"点我\")" in notes
    assert ReserveFund.objects.get().balance_fen == 1_000_100
