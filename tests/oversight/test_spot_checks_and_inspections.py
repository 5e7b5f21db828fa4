"""Visit spot checks and supervision inspections: reproducible samples, discrepancy → problem,
confirmed rate per cadre, inspection plan → rectified problem, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Area, Role
from oversight import actions, inspections, spotchecks
from oversight.models import CheckOutcome, OversightProblem, ProblemStatus, RectificationStep
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, user_with_role
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 20)
MAY = dt.date(2026, 5, 1)


@pytest.fixture
def township():
    return Area.objects.get(code=TOWNSHIP)


@pytest.fixture
def two_cadres_with_may_visits(village_code):
    """Cadre 1 has 5 households each visited on 05-05 and 05-20; cadre 2 has 2 visited once."""
    c1, c2 = CadreFactory(), CadreFactory()
    for _ in range(5):
        h = HouseholdFactory()
        PairingFactory(household=h, cadre=c1, started_on=dt.date(2026, 1, 1))
        VisitFactory(household=h, visited_on=dt.date(2026, 5, 5))
        VisitFactory(household=h, visited_on=dt.date(2026, 5, 20))
    for _ in range(2):
        h = HouseholdFactory()
        PairingFactory(household=h, cadre=c2, started_on=dt.date(2026, 1, 1))
        VisitFactory(household=h, visited_on=dt.date(2026, 5, 9))
    return c1, c2


def test_the_same_seed_draws_the_same_sample_and_each_cadre_gets_at_most_n(township, two_cadres_with_may_visits):
    c1, c2 = two_cadres_with_may_visits
    first = spotchecks.sample_visits(township, MAY, 3, seed=42)
    again = spotchecks.sample_visits(township, MAY, 3, seed=42)
    other = spotchecks.sample_visits(township, MAY, 3, seed=43)
    assert first == again
    assert sum(1 for _v, c in first if c == c1.pk) == 3
    assert sum(1 for _v, c in first if c == c2.pk) == 2  # fewer visits than asked: all of them
    assert first != other or len(first) == 5  # another seed (almost surely) draws others


def test_a_township_draws_once_per_month_and_the_seed_is_recorded(township, two_cadres_with_may_visits):
    official = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    draw = actions.spot_check_draw(actor=official, area=township, month=MAY, per_cadre=2, seed=7, today=TODAY)
    assert draw.seed == 7 and draw.items.count() == 4
    assert sorted(draw.items.values_list("visit_id", flat=True)) == sorted(
        v for v, _c in spotchecks.sample_visits(township, MAY, 2, seed=7))
    with pytest.raises(ValidationError):
        actions.spot_check_draw(actor=official, area=township, month=MAY, per_cadre=2, today=TODAY)
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    with pytest.raises(PermissionDenied):
        actions.spot_check_draw(actor=outsider, area=township, month=dt.date(2026, 4, 1), per_cadre=2, today=TODAY)


def test_a_discrepancy_opens_a_problem_against_the_record_and_the_cadre_and_rates_are_kept(
    township, two_cadres_with_may_visits
):
    c1, _c2 = two_cadres_with_may_visits
    official = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    draw = actions.spot_check_draw(actor=official, area=township, month=MAY, per_cadre=2, seed=7, today=TODAY)
    first, second = list(draw.items.filter(cadre=c1).order_by("id"))
    actions.spot_check_record(actor=official, item=first, method="phone", checked_on=TODAY, date_confirmed=True,
                              person_confirmed=True, checklist_plausible=True, location_plausible=None, note="",
                              today=TODAY)
    with pytest.raises(ValidationError) as err:  # a "no" needs an explanation
        actions.spot_check_record(actor=official, item=second, method="revisit", checked_on=TODAY,
                                  date_confirmed=False, person_confirmed=True, checklist_plausible=True,
                                  location_plausible=None, note="", today=TODAY)
    assert "note" in err.value.message_dict
    actions.spot_check_record(actor=official, item=second, method="revisit", checked_on=TODAY, date_confirmed=False,
                              person_confirmed=True, checklist_plausible=True, location_plausible=None,
                              note="户主说五月只见过干部一次", today=TODAY)
    second.refresh_from_db()
    assert second.outcome == CheckOutcome.DISCREPANCY
    problem = OversightProblem.objects.get(spot_check=second)
    assert (problem.visit_id, problem.cadre_id, problem.area_id) == (second.visit_id, c1.pk, TOWNSHIP)
    assert problem.due_on == TODAY + dt.timedelta(days=actions.RECTIFY_DAYS)
    [rate] = [r for r in spotchecks.confirmation_rates(draw.items.all()) if r["cadre_id"] == c1.pk]
    assert (rate["checked"], rate["confirmed"], rate["discrepancy"], rate["rate"]) == (2, 1, 1, 50)
    with pytest.raises(ValidationError):  # recorded once
        actions.spot_check_record(actor=official, item=first, method="phone", checked_on=TODAY, date_confirmed=True,
                                  person_confirmed=True, checklist_plausible=True, location_plausible=None, note="",
                                  today=TODAY)


def test_the_spot_check_pages_are_scoped(client, township, two_cadres_with_may_visits):
    official = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    draw = actions.spot_check_draw(actor=official, area=township, month=MAY, per_cadre=1, seed=3, today=TODAY)
    item = draw.items.first()
    client.force_login(official)
    assert client.get(reverse("oversight:spotcheck_item", args=[item.pk])).status_code == 200
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("oversight:spotcheck_detail", args=[draw.pk])).status_code == 404
    assert client.get(reverse("oversight:spotcheck_item", args=[item.pk])).status_code == 404


def test_inspection_from_plan_to_rectified_problem(village_code):
    county = Area.objects.get(code=COUNTY)
    township = Area.objects.get(code=TOWNSHIP)
    for _ in range(6):
        HouseholdFactory()
    officer = user_with_role(Role.COUNTY, COUNTY)
    owner = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    inspection = actions.inspection_plan(actor=officer, organiser=county, year=2026, half=1, title="上半年督导",
                                         townships=[township], team=[officer], team_note="", sample_size=4,
                                         starts_on=TODAY)
    inspection = actions.inspection_draw(actor=officer, inspection=inspection, seed=99)
    sampled = list(inspection.samples.order_by("household_id").values_list("household_id", flat=True))
    assert len(sampled) == 4
    assert sampled == sorted(h for _t, h in actions.sample_households(inspection, 99))  # reproducible
    with pytest.raises(ValidationError):
        actions.inspection_draw(actor=officer, inspection=inspection, seed=1)
    samples = list(inspection.samples.all())
    with pytest.raises(ValidationError):
        actions.inspection_complete(actor=officer, inspection=inspection, summary="完成")  # not all checked
    answers = {"visits_meet_minimum": True, "records_true": True, "findings_closed": True, "custody_checked": None,
               "record_book_complete": True}
    for s in samples[1:]:
        actions.inspection_check(actor=officer, sample=s, answers=answers, note="")
    with pytest.raises(ValidationError):  # a "no" needs a note
        actions.inspection_check(actor=officer, sample=samples[0], answers={**answers, "records_true": False}, note="")
    actions.inspection_check(actor=officer, sample=samples[0], answers={**answers, "records_true": False},
                             note="走访记录与户主所述不符")
    problem = actions.inspection_problem(actor=officer, inspection=inspection, township=township,
                                         description="走访记录不实", owner=owner, due_on=TODAY + dt.timedelta(days=30),
                                         serious=True, today=TODAY, sample=samples[0])
    assert problem.reported_at is not None  # serious: reported to the prefecture
    assert bureau.notifications.get().url == reverse("oversight:problem_detail", args=[problem.pk])
    actions.inspection_complete(actor=officer, inspection=inspection, summary="总体较好，个别记录不实。")
    actions.problem_follow_up(actor=owner, problem=problem, note="已约谈干部并重新入户核实", closes=False,
                              today=TODAY + dt.timedelta(days=3))
    problem = actions.problem_follow_up(actor=owner, problem=problem, note="已整改到位", closes=True,
                                        today=TODAY + dt.timedelta(days=10))
    assert problem.status == ProblemStatus.CLOSED and problem.closed_on_time
    assert RectificationStep.objects.filter(problem=problem).count() == 2
    report = inspections.report(inspection, TODAY)
    assert (report.sampled, report.checked, report.open_problems, report.serious) == (4, 4, 0, 1)
    assert report.townships[0].failed["records_true"] == 1


def test_an_inspection_report_exports_to_xlsx_and_print(client, village_code):
    from io import BytesIO

    from openpyxl import load_workbook

    county = Area.objects.get(code=COUNTY)
    HouseholdFactory()
    officer = user_with_role(Role.COUNTY, COUNTY)
    inspection = actions.inspection_plan(actor=officer, organiser=county, year=2026, half=1, title="上半年督导",
                                         townships=[Area.objects.get(code=TOWNSHIP)], team=[], team_note="张三",
                                         sample_size=2, starts_on=TODAY)
    actions.inspection_draw(actor=officer, inspection=inspection, seed=5)
    client.force_login(officer)
    assert "上半年督导" in client.get(reverse("oversight:inspection_report", args=[inspection.pk])).content.decode()
    book = load_workbook(BytesIO(client.get(reverse("oversight:inspection_report_xlsx", args=[inspection.pk])).content))
    assert book.sheetnames == ["抽查家庭", "发现问题", "汇总"]
    client.force_login(user_with_role(Role.COUNTY, "522601000000"))
    assert client.get(reverse("oversight:inspection_detail", args=[inspection.pk])).status_code == 404


def test_a_spot_check_and_a_closed_problem_posted_again_answer_their_pages(client, township, two_cadres_with_may_visits):
    official = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    draw = actions.spot_check_draw(actor=official, area=township, month=MAY, per_cadre=1, seed=3, today=TODAY)
    item = draw.items.first()
    actions.spot_check_record(actor=official, item=item, method="revisit", checked_on=TODAY, date_confirmed=False,
                              person_confirmed=True, checklist_plausible=True, location_plausible=None,
                              note="户主说五月只见过干部一次", today=TODAY)
    client.force_login(official)
    again = client.post(reverse("oversight:spotcheck_item", args=[item.pk]),
                        {"method": "phone", "checked_on": TODAY.isoformat(), "date_confirmed": "yes",
                         "person_confirmed": "yes", "checklist_plausible": "yes"}, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    item.refresh_from_db()
    assert item.outcome == CheckOutcome.DISCREPANCY
    problem = OversightProblem.objects.get(spot_check=item)
    actions.problem_follow_up(actor=official, problem=problem, note="已补走访", closes=True, today=TODAY)
    again = client.post(reverse("oversight:problem_detail", args=[problem.pk]), {"note": "已补走访", "closes": "on"},
                        follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert RectificationStep.objects.filter(problem=problem).count() == 1
