"""Import and export of the roster sheet: preview, all-or-nothing, row errors, re-import,
round-trip, scope, masking."""

import io
from datetime import date

import openpyxl
import pytest
import time_machine

from accounts.models import AuditEvent
from beneficiaries import roster_io
from beneficiaries.models import Classification, Household, Pairing, Person
from tests.factories import id_number_for

from .factories import county_officer, roster_sheet, sheet_row, township_official, twenty_households

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-06-15 09:00 +0800", tick=False):
        yield


def run(user, rows, *, dry=False, fmt="xlsx"):
    content = roster_sheet(rows, fmt)
    name = f"roster.{fmt}"
    if dry:
        return roster_io.roster_parse(actor=user, content=content, filename=name, today=TODAY)
    return roster_io.roster_import(actor=user, content=content, filename=name, today=TODAY)


def test_the_template_has_exactly_the_contract_headers():
    wb = openpyxl.load_workbook(io.BytesIO(roster_io.write_xlsx("t", roster_io.HEADERS, [], notes=roster_io.template_notes())))
    assert [c.value for c in wb.worksheets[0][1]] == roster_io.HEADERS
    documented = {r[0] for r in roster_io.template_notes()[1:]}
    assert documented == set(roster_io.HEADERS)


def test_a_dry_run_checks_everything_and_writes_nothing(village_code):
    officer = county_officer()
    result = run(officer, twenty_households(village_code), dry=True)
    assert result.ok, result.errors
    assert len(result.households) == 20 and result.people == 40
    assert Household.objects.count() == 0 and Person.objects.count() == 0
    tiers = {h.code: h.suggestion.tier for h in result.households}
    assert tiers["LS0000"] == "A" and tiers["LS0001"] == "B" and tiers["LS0002"] == "C" and tiers["LS0003"] == ""


def test_a_good_file_imports_every_household_and_person_unclassified(village_code):
    officer = county_officer()
    result = run(officer, twenty_households(village_code))
    assert result.ok, result.errors
    assert Household.objects.count() == 20 and Person.objects.count() == 40
    assert set(Household.objects.values_list("tier", flat=True)) == {""}
    head = Person.objects.get(name="吴0")
    assert head.birth_date == date(1950, 1, 1) and head.sex == "M" and head.self_care == "none"
    assert AuditEvent.objects.filter(action="import").count() == 1


def test_the_import_audits_each_row_it_writes_in_one_copy(village_code):
    officer = county_officer()
    result = run(officer, twenty_households(village_code))
    assert result.ok, result.errors
    head = Person.objects.get(name="吴0")
    event = AuditEvent.objects.get(object_type="beneficiaries.person", object_id=str(head.pk))
    assert (event.actor, event.action, event.object_repr) == (officer, "create", str(head)[:200])
    assert event.details == {"household": head.household.code}
    assert event.at is not None and event.at.isoformat().startswith("2026-06-15")
    created = AuditEvent.objects.filter(action="create")
    assert created.filter(object_type="beneficiaries.household").count() == 20
    assert created.filter(object_type="beneficiaries.person").count() == 40


def test_csv_imports_like_xlsx(village_code):
    result = run(county_officer(), twenty_households(village_code)[:4], fmt="csv")
    assert result.ok, result.errors
    assert Household.objects.count() == 2


def test_a_file_with_three_bad_rows_writes_nothing_and_reports_each_row(village_code):
    rows = twenty_households(village_code)
    rows[2][roster_io.HEADERS.index("身份证号")] = rows[2][roster_io.HEADERS.index("身份证号")][:-1] + (
        "0" if rows[2][roster_io.HEADERS.index("身份证号")][-1] != "0" else "1")
    rows[5][roster_io.HEADERS.index("自理能力")] = "还行"
    rows[9][roster_io.HEADERS.index("残疾等级")] = "5"
    result = run(county_officer(), rows)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(4, "身份证号"), (7, "自理能力"), (11, "残疾等级")]
    assert "校验位" in result.errors[0].message
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_reimporting_the_same_people_updates_instead_of_duplicating(village_code):
    officer = county_officer()
    rows = twenty_households(village_code)
    assert run(officer, rows).ok
    rows[0][roster_io.HEADERS.index("联系电话")] = "13912345678"
    result = run(officer, rows)
    assert result.ok, result.errors
    assert Household.objects.count() == 20 and Person.objects.count() == 40
    assert Person.objects.get(name="吴0").phone == "13912345678"


def test_a_village_outside_the_importers_area_is_an_error(village_code, other_village_code):
    xijiang = township_official()
    rows = [sheet_row("X1", other_village_code, "张三", id_number_for(1))]
    result = run(xijiang, rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "村级区划代码")]
    assert "不在您负责的区域内" in result.errors[0].message
    assert Household.objects.count() == 0


def test_a_household_needs_exactly_one_head(village_code):
    rows = [sheet_row("H1", village_code, "甲", id_number_for(1), "子女"), sheet_row("H1", village_code, "乙", id_number_for(3), "配偶")]
    result = run(county_officer(), rows)
    assert [e.column for e in result.errors] == ["与户主关系"]


def test_a_given_tier_is_confirmed_and_a_judgement_without_reason_is_refused(village_code):
    officer = county_officer()
    ok = [sheet_row("H1", village_code, "甲", id_number_for(1), 保障类别="特困", 供养方式="分散供养", 自理能力="半失能", 类别="A")]
    assert run(officer, ok).ok
    hh = Household.objects.get(code="H1")
    assert (hh.tier, hh.criteria) == ("A", ["A1"])
    assert Classification.objects.get(household=hh).decided_by == officer
    bad = [sheet_row("H2", village_code, "乙", id_number_for(3), 类别="B", 认定标准="B4")]
    result = run(officer, bad)
    assert [(e.row, e.column) for e in result.errors][0] == (2, "认定理由")


def test_a_township_may_not_set_a_new_tier(village_code):
    rows = [sheet_row("H1", village_code, "甲", id_number_for(1), 类别="C", 认定标准="C2", 认定理由="村里认为困难")]
    result = run(township_official(), rows)
    assert [e.column for e in result.errors] == ["类别"]


def test_the_import_pairs_a_cadre_by_name_and_phone(village_code):
    rows = [sheet_row("H1", village_code, "甲", id_number_for(1), 结对干部姓名="王芳", 结对干部电话="13800001111",
                      结对干部类型="网格员", 结对关系="就近")]
    officer = county_officer()
    assert run(officer, rows).ok
    assert run(officer, rows).ok  # re-import: same pairing, nothing new
    pairing = Pairing.objects.get()
    assert pairing.cadre.name == "王芳" and pairing.relation == "nearby" and pairing.ended_on is None


def test_export_then_import_round_trips_with_full_numbers(village_code):
    officer = county_officer()
    rows = twenty_households(village_code)
    rows[0][roster_io.HEADERS.index("类别")] = "A"
    rows[0] = rows[0][:]
    assert run(officer, rows).ok
    exported = roster_io.roster_rows(Household.objects.all(), full_ids=True)
    assert len(exported) == 40
    before = sorted(Person.objects.values_list("id_number", "name", "benefit_status", "self_care", "household__code"))
    result = run(officer, exported)
    assert result.ok, result.errors
    after = sorted(Person.objects.values_list("id_number", "name", "benefit_status", "self_care", "household__code"))
    assert before == after
    assert Classification.objects.count() == 1  # unchanged tier: no new decision


def test_a_masked_export_round_trips_for_existing_people(village_code):
    officer = county_officer()
    assert run(officer, twenty_households(village_code)).ok
    exported = roster_io.roster_rows(Household.objects.all(), full_ids=False)
    phone = roster_io.HEADERS.index("联系电话")
    exported[0][phone] = "13700000000"
    result = run(officer, exported)
    assert result.ok, result.errors
    assert Person.objects.count() == 40
    assert Person.objects.filter(phone="13700000000").count() == 1


def test_a_masked_number_for_a_new_person_is_an_error(village_code):
    rows = [sheet_row("H1", village_code, "甲", "522634********1234")]
    result = run(county_officer(), rows)
    assert [(e.row, e.column) for e in result.errors][0] == (2, "身份证号")


def test_no_export_carries_an_unmasked_id_number(village_code):
    officer = county_officer()
    rows = twenty_households(village_code)
    rows[0] += []
    rows[0][roster_io.HEADERS.index("结对干部姓名"):] = ["王芳", "13800001111", "网格员", "就近"]
    assert run(officer, rows).ok
    numbers = set(Person.objects.values_list("id_number", flat=True))
    roster = roster_io.write_csv(roster_io.HEADERS, roster_io.roster_rows(Household.objects.all(), full_ids=False)).decode()
    pairings = roster_io.write_csv(roster_io.PAIRING_HEADERS, roster_io.pairing_rows(Pairing.objects.all())).decode()
    assert not any(n in roster or n in pairings for n in numbers)
    assert "********" in roster and "********" in pairings
