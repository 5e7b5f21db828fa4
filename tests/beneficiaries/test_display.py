"""A household and a person as a person reads them (beneficiaries/display.py), and the pages that
name them: the tier decision, the findings, the overdue message, the dashboard's village drill."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Area, Role
from beneficiaries import display
from beneficiaries.models import Classification, Household
from tests.conftest import TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import county_officer, other_township_official, township_official

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    hh = HouseholdFactory(code="DEMO-000004", tier="", criteria=[], tier_since=None)
    PersonFactory(household=hh, name="杨秀英", benefit_status="tekun", support_mode="dispersed", self_care="none")
    return hh


def test_a_household_is_its_heads_name_its_village_and_its_code():
    assert display.household_label(head_name="杨秀英", village_name="营上村", code="DEMO-000004") == \
        "杨秀英 · 营上村 · DEMO-000004"
    assert display.household_label(head_name=None, village_name="营上村", code="X1") == "（无户主） · 营上村 · X1"
    assert display.person_label(name="杨秀英", id_masked="522634********1234") == "杨秀英（522634********1234）"


def test_the_python_the_orm_and_the_sql_forms_give_the_same_label(household):
    from django.db import connection

    expected = display.household_text(household)
    village = household.village.short_name
    assert expected == f"杨秀英 · {village} · DEMO-000004" and "委员会" not in village
    annotated = Household.objects.annotate(label=display.household_label_expression()).get(pk=household.pk)
    assert annotated.label == expected
    with connection.cursor() as cur:
        cur.execute(f"SELECT {display.household_label_sql('h', 'v', '%s')} FROM beneficiaries_household h "
                    "JOIN accounts_area v ON v.code = h.village_id WHERE h.id = %s", ["head", household.pk])
        assert cur.fetchone()[0] == expected


def test_the_short_name_sql_trims_as_python_does():
    from django.db import connection

    from accounts.models import short_area_name

    names = ["营上村村民委员会", "西江社区居民委员会", "丹江居民委员会", "羊排村委会", "西江镇", "村民委员会"]
    with connection.cursor() as cur:
        cur.execute("SELECT " + ", ".join(display.short_name_sql("%s") for _ in names), names)
        assert list(cur.fetchone()) == [short_area_name(n) for n in names]


def test_the_tier_page_shows_members_facts_reasons_and_history(client, household):
    Classification.objects.create(household=household, tier="C", criteria=["C2"], reason="先行认定",
                                  effective_on=dt.date(2026, 1, 5))
    client.force_login(county_officer())
    body = client.get(reverse("beneficiaries:classify", args=[household.pk])).content.decode()
    assert "杨秀英 · " in body and "DEMO-000004" in body
    # the members and their facts, by label
    assert 'data-testid="members"' in body and "特困" in body and "失能" in body and "分散供养" in body
    # the suggestion's reasons in words
    assert 'data-testid="suggestion-reasons"' in body and "A1 失能、半失能分散供养特困人员" in body
    # the decisions taken before
    assert 'data-testid="tier-history"' in body and "2026-01-05" in body and "先行认定" in body


def test_the_finding_page_and_desk_name_the_household(client, household):
    from visits.models import Finding, FindingKind

    official = township_official()
    finding = Finding.objects.create(household=household, kind=FindingKind.HAZARD, description="电线老化",
                                     owner=official, due_on=dt.date(2026, 6, 30), created_by=official)
    client.force_login(official)
    page = client.get(reverse("visits:finding", args=[finding.pk])).content.decode()
    assert "杨秀英 · " in page and "DEMO-000004" in page
    desk = client.get(reverse("visits:desk")).content.decode()
    assert ">杨秀英</a>" in desk


def test_a_villages_numbers_on_the_township_dashboard_open_its_households(client, household):
    village = household.village
    url = reverse("oversight:drill", args=[village.code]) + "?figure=tier&key=all&on=2026-06-30"
    with time_machine.travel(dt.datetime(2026, 7, 1, 10), tick=False):
        client.force_login(township_official())
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "DEMO-000004" in body and "杨秀英" in body
        # back to the township's dashboard (a village has none of its own)
        assert reverse("oversight:dashboard", args=[TOWNSHIP]) in body
        client.force_login(other_township_official())
        assert client.get(url).status_code == 404
        client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, village.code))
        assert client.get(url).status_code == 404  # no dashboards for a village committee
    assert Area.objects.get(code=village.code).level == "village"


def test_the_record_book_prints_needs_by_label():
    from oversight.recordbook import _checklist
    from visits.models import Visit

    line = _checklist(Visit(needs=["none", "daily_care"]))
    assert "暂无需求" in line and "生活照料" in line and "daily_care" not in line


def test_a_preset_holiday_table_names_the_notice_not_the_library():
    from services.models import HolidayYear

    year = HolidayYear.objects.get(year=2025)
    assert year.source.startswith("chinesecalendar")
    assert "chinesecalendar" not in year.source_display and year.entered_by_display == "系统预置"
