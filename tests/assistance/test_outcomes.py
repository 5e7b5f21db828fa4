"""Outcomes on the §4 lists: housing ledger from visit hazards, aid received, eligibility lists,
five-society contributions, and the exports for 住建 and 医保."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from assistance import outcomes
from assistance.exports import HOUSING_HEADERS, MEDICAL_HEADERS
from assistance.models import AidKind, HousingStatus
from tests.assistance.factories import TODAY, household, officials
from tests.conftest import OTHER_TOWNSHIP
from tests.factories import PersonFactory, user_with_role
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(village_code):
    return officials(village_code)


def test_a_house_hazard_in_the_latest_visit_makes_a_candidate_until_it_is_on_the_ledger(people, village_code):
    unsafe, fixed, safe = household(village_code), household(village_code), household(village_code)
    VisitFactory(household=unsafe, visited_on=dt.date(2026, 11, 1), house_safety="hazard")
    VisitFactory(household=fixed, visited_on=dt.date(2026, 10, 1), house_safety="hazard")
    VisitFactory(household=fixed, visited_on=dt.date(2026, 11, 1), house_safety="safe")  # repaired since
    VisitFactory(household=safe, visited_on=dt.date(2026, 11, 1), house_safety="safe")
    township = people["township"]
    assert list(outcomes.housing_candidates(township)) == [unsafe]
    case = outcomes.housing_report(household=unsafe, source="visit", actor=township)
    assert list(outcomes.housing_candidates(township)) == []
    with pytest.raises(ValidationError, match="已在危房台账"):
        outcomes.housing_report(household=unsafe, source="survey", actor=township)
    assert case.status == HousingStatus.REPORTED


def test_renovation_needs_a_c_or_d_appraisal_and_a_year(people, village_code):
    case = outcomes.housing_report(household=household(village_code), source="survey", actor=people["village"])
    with pytest.raises(ValidationError, match="C级、D级"):
        outcomes.housing_update(case=case, actor=people["township"], grade="B", appraised_on=TODAY,
                                status="planned", renovation_year=2027, note="")
    with pytest.raises(ValidationError):
        outcomes.housing_update(case=case, actor=people["township"], grade="D", appraised_on=TODAY,
                                status="planned", renovation_year=None, note="")
    case = outcomes.housing_update(case=case, actor=people["township"], grade="D", appraised_on=TODAY,
                                   status="planned", renovation_year=2027, note="整栋危险")
    assert (case.grade, case.status, case.renovation_year) == ("D", "planned", 2027)
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    with pytest.raises(PermissionDenied):
        outcomes.housing_update(case=case, actor=outsider, grade="D", appraised_on=TODAY, status="done",
                                renovation_year=2027, note="")


def test_medical_aid_received_makes_the_list_for_the_medical_insurance_bureau(client, people, village_code):
    h = household(village_code)
    sick = h.members.get()
    other = PersonFactory(household=h, name="吴二", relation="spouse")
    outcomes.aid_record(person=sick, kind=AidKind.MEDICAL, received_on=TODAY, amount_fen=123_456, provider="雷山县医保局",
                        detail="住院医疗救助", actor=people["township"], today=TODAY)
    outcomes.aid_record(person=sick, kind=AidKind.MEDICAL, received_on=TODAY, amount_fen=10_000, provider="雷山县医保局",
                        detail="门诊慢病", actor=people["township"], today=TODAY)
    with pytest.raises(ValidationError):
        outcomes.aid_record(person=other, kind=AidKind.MEDICAL, received_on=TODAY + dt.timedelta(days=1),
                            amount_fen=1, provider="x", detail="x", actor=people["township"], today=TODAY)
    listed = list(outcomes.medical_aid_list(people["township"]))
    assert [(p.pk, p.aid_count, p.aid_fen) for p in listed] == [(sick.pk, 2, 133_456)]

    client.force_login(people["county"])
    ws = load_workbook(io.BytesIO(client.get(reverse("assistance:outcome_export", args=["medical"])).content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == MEDICAL_HEADERS
    assert rows[1][0] == 1 and rows[1][1] == "西江镇" and rows[1][4] == sick.name and rows[1][8] == 1334.56
    assert sick.id_number not in str(rows)
    assert rows[-1][0] == "合计" and rows[-1][7] == 2 and rows[-1][8] == 1334.56


def test_eligibility_lists_for_legal_aid_and_rehabilitation(people, village_code):
    a = household(village_code, tier="A")
    c = household(village_code, tier="C")
    disabled = PersonFactory(household=c, name="杨三", relation="son", disability_type="physical")
    dibao = PersonFactory(household=c, name="杨四", relation="son", benefit_status="dibao")
    legal = {p.pk for p in outcomes.legal_aid_eligible(people["township"])}
    assert legal == {a.members.get(name="吴阿公").pk, dibao.pk}
    assert [p.pk for p in outcomes.rehabilitation_eligible(people["township"])] == [disabled.pk]
    outcomes.aid_record(person=disabled, kind=AidKind.REHABILITATION, received_on=TODAY, amount_fen=0,
                        provider="县残联", detail="辅具适配：轮椅", actor=people["village"], today=TODAY)
    assert outcomes.rehabilitation_eligible(people["township"]).get().aid_count == 1


def test_contributions_and_the_housing_export(client, people, village_code):
    h = household(village_code, head="杨阿婆")
    outcomes.contribution_record(household=h, kind="volunteer", given_by="西江中学志愿队", on=TODAY,
                                 description="打扫卫生、陪伴聊天", value_fen=0, hours=6, actor=people["village"], today=TODAY)
    assert outcomes.contributions(people["township"]).get().hours == 6
    outcomes.housing_report(household=h, source="survey", actor=people["township"])
    client.force_login(people["county"])
    ws = load_workbook(io.BytesIO(client.get(reverse("assistance:outcome_export", args=["housing"])).content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HOUSING_HEADERS
    assert rows[1][:4] == (1, "雷山县", "西江镇", h.village.short_name) and rows[1][6] == "杨阿婆"


def test_the_outcomes_page_opens_on_every_tab_and_a_case_outside_scope_is_404(client, people, village_code):
    case = outcomes.housing_report(household=household(village_code), source="survey", actor=people["township"])
    client.force_login(people["township"])
    for tab in ("housing", "medical", "employment", "legal", "rehab", "social"):
        assert client.get(reverse("assistance:outcomes"), {"tab": tab}).status_code == 200, tab
    assert client.get(reverse("assistance:housing_case", args=[case.pk])).status_code == 200
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("assistance:housing_case", args=[case.pk])).status_code == 404
