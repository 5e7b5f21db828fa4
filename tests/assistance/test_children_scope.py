"""Issue 21: rows inside a visible parent are scoped by their own area. A township may open its
county's reserve fund but reads only the lines paid to its own households (page and export); an
emergency is met by whoever works in an affected area, never by a financial supervisor, and each
sees only the households of their own area inside it."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Area, Role
from assistance import actions, queries
from tests.assistance.factories import TODAY, funded, household, officials, raise_app
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import cadre_user, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(village_code):
    return officials(village_code)


def _paid(people, h, amount_fen):
    app = raise_app(people["village"], h, amount_fen=amount_fen)
    actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="cash",
                                 today=TODAY)
    return app


def test_a_township_reads_only_its_own_households_lines_of_the_county_fund(client, people, village_code,
                                                                          other_village_code):
    funded(people["county"], 500_000)
    ours = household(village_code, head="吴阿公")
    theirs = household(other_village_code, head="杨阿婆")
    _paid(people, ours, 15_000)
    other_people = {"village": user_with_role(Role.VILLAGE_COMMITTEE, other_village_code),
                    "township": user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)}
    _paid(other_people, theirs, 8_000)

    client.force_login(other_people["township"])  # 丹江镇: the fund is visible, 西江's lines are not
    sheet = client.get(reverse("assistance:fund_xlsx", args=[COUNTY]))
    assert sheet.status_code == 200
    text = "\n".join(str(c) for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)
                     for c in row if c is not None)
    assert theirs.code in text and ours.code not in text and "150" not in text
    page = client.get(reverse("assistance:fund", args=[COUNTY])).content.decode()
    assert theirs.code in page and ours.code not in page

    client.force_login(people["county"])  # the county sees every line, its allocation included
    text = load_workbook(io.BytesIO(client.get(reverse("assistance:fund_xlsx", args=[COUNTY])).content)).active
    codes = {c for row in text.iter_rows(values_only=True) for c in row}
    assert ours.code in str(codes) and theirs.code in str(codes)


def test_an_emergency_is_met_in_its_areas_only_and_never_by_the_financial_supervisor(client, people, village_code):
    event = actions.emergency_declare(
        kind="flood", title="洪涝", county=Area.objects.get(code=COUNTY), areas=[Area.objects.get(code=TOWNSHIP)],
        starts_on=TODAY, ends_on=None, special_period=False, description="", actor=people["county"], today=TODAY)
    outsiders = [user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP), user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY),
                 user_with_role(Role.VILLAGE_COMMITTEE,
                                Area.objects.filter(parent_id=OTHER_TOWNSHIP).order_by("code").first().code),
                 cadre_user("unpaired")[0]]
    for name in ("emergency", "emergency_report", "roll_call"):
        url = reverse(f"assistance:{name}", args=[event.pk])
        for user in outsiders:
            client.force_login(user)
            assert client.get(url).status_code == 404, (name, user.roles.get().role)
            assert client.post(url).status_code == 404, (name, user.roles.get().role)
        for user in (people["county"], people["township"], people["village"]):
            client.force_login(user)
            assert client.get(url).status_code == 200, (name, user.roles.get().role)
    assert event not in queries.emergencies_for(outsiders[1])


def test_inside_a_county_wide_event_each_township_sees_its_own_households(client, people, village_code,
                                                                          other_village_code):
    ours, theirs = household(village_code, head="吴阿公"), household(other_village_code, head="杨阿婆")
    event = actions.emergency_declare(
        kind="cold", title="低温雨雪", county=Area.objects.get(code=COUNTY),
        areas=[Area.objects.get(code=TOWNSHIP), Area.objects.get(code=OTHER_TOWNSHIP)],
        starts_on=TODAY, ends_on=None, special_period=False, description="", actor=people["county"], today=TODAY)
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    report = client.get(reverse("assistance:emergency_report", args=[event.pk]) + "?format=xlsx")
    cells = {c for row in load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True) for c in row}
    assert theirs.code in cells and ours.code not in cells
    roll = client.get(reverse("assistance:roll_call", args=[event.pk])).content.decode()
    assert theirs.code in roll and ours.code not in roll
