"""Cross-checks: each department's sample list against a roster built to match it. Proposals as
expected; nothing on the roster changes before a county official decides; accept and reject are
recorded and the accepted ones change the roster through its own actions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from beneficiaries import idnumber
from beneficiaries.models import Classification, Household, Person
from exchange.actions import proposal_decide
from exchange.crosscheck import cross_check_run, read_upload
from exchange.models import CrossCheck, Proposal
from tests.conftest import COUNTY, OTHER_COUNTY
from tests.factories import HouseholdFactory, PersonFactory, area, user_with_role

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
TODAY = dt.date(2026, 3, 16)
VILLAGE = "522634101001"  # 西江社区
ENTRY_VILLAGE = "522634101204"  # 长乌村


def person(household, number, relation="head", **facts):
    born = idnumber.parse(number, today=TODAY)
    return PersonFactory(household=household, id_number=number, birth_date=born.birth_date, sex=born.sex,
                         relation=relation, **facts)


@pytest.fixture
def county():
    return user_with_role(Role.COUNTY, COUNTY, username="county_cc", real_name="雷山县 民政股")


@pytest.fixture
def roster(db):
    v = area(VILLAGE)
    h = {}
    h["raised"] = HouseholdFactory(village=v, tier="C", criteria=["C2"])
    person(h["raised"], "522634197003121011", benefit_status="dibao", is_main_earner=True, work_capacity="none")
    h["same"] = HouseholdFactory(village=v, tier="A", criteria=["A3"])
    person(h["same"], "522634196507041133", disability_type="visual", disability_grade=3)
    h["ill"] = HouseholdFactory(village=v, tier="B", criteria=["B1"])
    person(h["ill"], "522634195810201377", benefit_status="dibao", is_main_earner=True, work_capacity="none",
           disability_type="physical", disability_grade=1)
    h["pupil"] = HouseholdFactory(village=v, tier="C", criteria=["C2"])
    person(h["pupil"], idnumber.make("52263419720808111"))
    person(h["pupil"], "52263420150601142X", relation="child", work_capacity="able")
    h["roll"] = HouseholdFactory(village=v, tier="C", criteria=["C2"])
    person(h["roll"], "522634197208081690")
    h["alone"] = HouseholdFactory(village=v, tier="A", criteria=["A1"])
    person(h["alone"], "522634193801011716", benefit_status="tekun", support_mode="dispersed", self_care="partial")
    h["couple"] = HouseholdFactory(village=v, tier="C", criteria=["C2"])
    person(h["couple"], idnumber.make("52263419400101111"))
    person(h["couple"], "522634194505051822", relation="spouse")
    return h


def run(source: str, actor, where: str = COUNTY):
    records = read_upload((SAMPLES / f"{source}.csv").read_bytes(), f"{source}.csv")
    return cross_check_run(actor=actor, source=source, area=area(where), records=records, filename=f"{source}.csv",
                           today=TODAY)


def _snapshot():
    return (list(Household.objects.order_by("pk").values_list("pk", "status", "tier", "criteria")),
            list(Person.objects.order_by("pk").values()), Classification.objects.count())


EXPECTED = {
    "disability": [("tier_change", "raised")],
    "medical": [("mismatch", "ill")],
    "education": [("mismatch", "pupil")],
    "benefit_roll": [("entry", None), ("mismatch", "roll")],
    "death": [("exit", "alone"), ("mismatch", "couple")],
}


@pytest.mark.parametrize("source", list(EXPECTED))
def test_each_sources_sample_gives_the_expected_proposals_and_changes_nothing(source, roster, county):
    before = _snapshot()
    result = run(source, county)
    assert result.ok, result.errors
    names = {v.pk: k for k, v in roster.items()}
    got = sorted((p.kind, names.get(p.household_id)) for p in Proposal.objects.filter(cross_check=result.check))
    assert got == sorted(EXPECTED[source], key=lambda x: (x[0], x[1] or ""))
    assert _snapshot() == before  # nothing changes before a decision
    assert AuditEvent.objects.filter(action="import", object_type="exchange.crosscheck").count() == 1


def test_a_tier_change_found_in_a_list_shows_the_facts_and_the_suggested_tier(roster, county):
    run("disability", county)
    p = Proposal.objects.get(kind="tier_change")
    assert p.facts["suggested_tier"] == "B" and p.facts["suggested_criteria"] == ["B1"]
    assert {(c["field"], c["roster"], c["list"]) for c in p.facts["changes"]} == {
        ("disability_type", "", "physical"), ("disability_grade", None, 1)}


def test_accepting_applies_through_the_roster_and_rejecting_changes_nothing(roster, county):
    for source in EXPECTED:
        run(source, county)
    tier = Proposal.objects.get(kind="tier_change")
    proposal_decide(actor=county, proposal=tier, accept=True, reason="残联证件核实无误", today=TODAY)
    raised = Household.objects.get(pk=roster["raised"].pk)
    assert (raised.tier, raised.criteria) == ("B", ["B1"])
    assert Person.objects.get(id_number="522634197003121011").disability_grade == 1
    assert Classification.objects.filter(household=raised, tier="B", decided_by=county).exists()

    exit_ = Proposal.objects.get(kind="exit")
    proposal_decide(actor=county, proposal=exit_, accept=True, reason="民政核实已故", today=TODAY)
    alone = Household.objects.get(pk=roster["alone"].pk)
    # The exit takes effect on the date of death on the department's list, not the decision's day.
    assert alone.status == "exited" and alone.exit_reason == "死亡" and alone.exited_on == dt.date(2026, 2, 10)

    entry = Proposal.objects.get(kind="entry")
    proposal_decide(actor=county, proposal=entry, accept=True, reason="入户核实符合A1", today=TODAY)
    head = Person.objects.get(id_number="522634194002151549")
    assert head.household.village_id == ENTRY_VILLAGE and head.benefit_status == "tekun"
    assert head.self_care == "partial" and head.relation == "head"
    entry.refresh_from_db()
    assert entry.household == head.household and entry.id_number == ""  # the number now lives on the member

    medical = Proposal.objects.get(kind="mismatch", household=roster["ill"])
    proposal_decide(actor=county, proposal=medical, accept=False, reason="费用为一次性手术，非长期大病", today=TODAY)
    medical.refresh_from_db()
    assert (medical.status, medical.decided_by, medical.decision_reason) == ("rejected", county, "费用为一次性手术，非长期大病")
    assert Person.objects.get(id_number="522634195810201377").serious_illness is False


def test_a_decision_needs_a_reason_and_happens_once(roster, county):
    run("death", county)
    p = Proposal.objects.get(kind="exit")
    with pytest.raises(Exception, match="决定理由"):
        proposal_decide(actor=county, proposal=p, accept=True, reason=" ", today=TODAY)
    proposal_decide(actor=county, proposal=p, accept=False, reason="死亡信息有误", today=TODAY)
    with pytest.raises(Exception, match="已经作出决定"):
        proposal_decide(actor=county, proposal=p, accept=True, reason="再决定", today=TODAY)
    assert Household.objects.get(pk=roster["alone"].pk).status == "active"


def test_a_township_cannot_decide(roster, county):
    run("death", county)
    township = user_with_role(Role.TOWNSHIP, "522634101000")
    with pytest.raises(Exception, match="县"):
        proposal_decide(actor=township, proposal=Proposal.objects.get(kind="exit"), accept=True, reason="x",
                        today=TODAY)


def test_the_same_list_twice_does_not_repeat_waiting_proposals(roster, county):
    run("benefit_roll", county)
    second = run("benefit_roll", county)
    assert second.check.proposals == 0 and Proposal.objects.count() == 2


def test_rows_of_another_county_count_as_outside_and_say_nothing(roster, county):
    kaili = user_with_role(Role.COUNTY, OTHER_COUNTY)
    result = run("death", kaili, where=OTHER_COUNTY)
    assert result.ok and result.check.outside == 2 and result.check.proposals == 0


def test_bad_rows_are_all_reported_by_row_number_and_nothing_is_written(roster, county):
    records = [
        {"姓名": "甲", "公民身份号码": "522634197003121012", "残疾类别": "肢体残疾", "残疾等级": "一级"},
        {"姓名": "乙", "公民身份号码": "522634196507041133", "残疾类别": "翅膀残疾", "残疾等级": "五级"},
        {"姓名": "丙", "公民身份号码": "", "残疾类别": "视力残疾", "残疾等级": "一级"},
    ]
    result = cross_check_run(actor=county, source="disability", area=area(COUNTY), records=records, today=TODAY)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "公民身份号码"), (3, "残疾类别"), (3, "残疾等级"), (4, "公民身份号码")]
    assert not CrossCheck.objects.exists() and not Proposal.objects.exists()


def test_a_list_without_its_columns_is_refused_with_the_missing_headers(county, db):
    result = cross_check_run(actor=county, source="death", area=area(COUNTY),
                             records=[{"名字": "王", "证件": "x"}], today=TODAY)
    assert result.errors[0].row == 1 and "身份证号" in result.errors[0].column


def test_the_upload_page_shows_bad_rows_and_keeps_the_choice(client, county, roster):
    client.force_login(county)
    content = "姓名,身份证号,死亡日期\n王老汉,522634193801011716,明天\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(reverse("exchange:cross_checks"), {
        "source": "death", "area": COUNTY, "file": SimpleUploadedFile("death.csv", content, "text/csv")})
    assert r.status_code == 200
    html = r.content.decode()
    assert "第2行 死亡日期" in html and 'value="death" selected' in html
    assert not CrossCheck.objects.exists()


def test_a_department_pushes_its_list_over_the_api(client, roster):
    from .factories import auth, make_token

    _token, secret = make_token(department="health", fields=("medical-aid",), area=COUNTY)
    rows = [{"姓名": "王老汉", "身份证号": "522634193801011716", "死亡日期": "2026-02-10"}]
    r = client.post(reverse("api:status_lists"), {"source": "death", "rows": rows}, content_type="application/json",
                    **auth(secret))
    assert r.status_code == 201 and r.json()["proposals"] == 1
    assert Proposal.objects.get().kind == "exit"
    # A department may push only its own kind of list.
    r = client.post(reverse("api:status_lists"), {"source": "disability", "rows": rows},
                    content_type="application/json", **auth(secret))
    assert r.status_code == 403
    bad = [{"姓名": "王老汉", "身份证号": "123", "死亡日期": "2026-02-10"}]
    r = client.post(reverse("api:status_lists"), {"source": "death", "rows": bad}, content_type="application/json",
                    **auth(secret))
    assert r.status_code == 400 and r.json()["errors"][0]["row"] == 2


def test_a_death_exit_takes_effect_on_the_date_of_death_for_schedules_and_reports(roster, county):
    """Between the death (02-10) and the decision (03-16) the household is not on the roster as of
    those days: the as-of overdue report does not list it; its pairing ends on the date of death."""
    from beneficiaries.models import Pairing
    from tests.factories import PairingFactory
    from visits import queries as visit_queries

    alone = roster["alone"]
    PairingFactory(household=alone, started_on=dt.date(2025, 1, 1))
    run("death", county)
    proposal_decide(actor=county, proposal=Proposal.objects.get(kind="exit"), accept=True, reason="民政核实已故",
                    today=TODAY)
    alone.refresh_from_db()
    assert alone.exited_on == dt.date(2026, 2, 10)
    assert Pairing.objects.get(household=alone).ended_on == dt.date(2026, 2, 10)
    on_roster = visit_queries.on_roster(Household.objects.filter(pk=alone.pk), dt.date(2026, 3, 1))
    assert not on_roster.exists()
    assert visit_queries.on_roster(Household.objects.filter(pk=alone.pk), dt.date(2026, 2, 9)).exists()
    assert AuditEvent.objects.filter(object_id=str(alone.pk), details__exited_on="2026-02-10",
                                     details__decided_on="2026-03-16").exists()
