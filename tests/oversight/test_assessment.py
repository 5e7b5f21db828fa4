"""Assessment: scores computed from a fixture year, weights set by the prefecture, sign-off once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import Area, AuditEvent, Role
from oversight import actions, assessment
from oversight.models import AssessmentSetting, AssessmentSignoff, OversightProblem
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, UserFactory, user_with_role
from tests.visits.factories import VisitFactory
from visits.models import Finding

pytestmark = pytest.mark.django_db

YEAR = 2026
TODAY = dt.date(2027, 1, 15)
WEIGHTS = {"visit_compliance": 40, "findings_on_time": 20, "spot_check_rate": 10, "referral_timeliness": 10,
           "custody_checks": 10, "inspection_rectified": 10, "campaign_done": 0}


@pytest.fixture
def county():
    return Area.objects.get(code=COUNTY)


@pytest.fixture
def fixture_year(village_code, other_village_code):
    """西江镇: one tier C household paired on 2026-01-01, visited once in each month Jan–Jun only
    (6 of 12 months met); two findings due in the year, one closed on time, one late.
    丹江镇: no activity at all."""
    h = HouseholdFactory(tier="C", tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=h, started_on=dt.date(2026, 1, 1))
    for m in range(1, 7):
        VisitFactory(household=h, visited_on=dt.date(2026, m, 10))
    owner = UserFactory()
    Finding.objects.create(household=h, kind="hazard", description="a", owner=owner, created_by=owner,
                           due_on=dt.date(2026, 3, 1), status="closed", closing_note="ok", closed_on=dt.date(2026, 2, 20))
    Finding.objects.create(household=h, kind="hazard", description="b", owner=owner, created_by=owner,
                           due_on=dt.date(2026, 4, 1), status="closed", closing_note="ok", closed_on=dt.date(2026, 4, 9))
    OversightProblem.objects.create(source="inspection", area_id=TOWNSHIP, description="x", owner=owner,
                                    due_on=dt.date(2026, 8, 1), status="closed", closed_on=dt.date(2026, 7, 20),
                                    created_by=owner, created_on=dt.date(2026, 7, 1))
    return h


def test_township_scores_come_from_the_figures_with_the_prefectures_weights(county, fixture_year):
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    setting = actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=90, passing=60, reason="")
    sheet = {r.key: r for r in assessment.score_sheet(county, YEAR, "township", setting, TODAY)}
    xijiang = sheet[TOWNSHIP]
    assert (xijiang.figures["visit_compliance"].num, xijiang.figures["visit_compliance"].den) == (6, 12)
    assert (xijiang.figures["findings_on_time"].num, xijiang.figures["findings_on_time"].den) == (1, 2)
    assert (xijiang.figures["inspection_rectified"].num, xijiang.figures["inspection_rectified"].den) == (1, 1)
    assert xijiang.figures["spot_check_rate"].den == 0  # no data: left out, weights rescaled
    # (40 × 0.5 + 20 × 0.5 + 10 × 1) / (40 + 20 + 10) × 100 = 40 / 70 × 100 = 57.1
    assert xijiang.score == 57.1 and xijiang.grade == "不合格"
    assert sheet[OTHER_TOWNSHIP].score is None and sheet[OTHER_TOWNSHIP].grade == "无数据"
    assert all(f.url for f in xijiang.figures.values())  # every figure links to where it came from


def test_cadre_sheet_scores_the_paired_cadre(county, fixture_year):
    sheet = assessment.score_sheet(county, YEAR, "cadre", None, TODAY)
    [row] = sheet
    assert row.figures["visit_compliance"].den == 12 and "custody_checks" not in row.figures


def test_only_the_prefecture_sets_weights_which_must_add_up_to_100_and_every_setting_is_kept():
    county_officer = user_with_role(Role.COUNTY, COUNTY)
    with pytest.raises(PermissionDenied):
        actions.assessment_set(actor=county_officer, year=YEAR, weights=WEIGHTS, excellent=90, passing=60, reason="")
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    with pytest.raises(ValidationError):
        actions.assessment_set(actor=bureau, year=YEAR, weights={**WEIGHTS, "custody_checks": 11}, excellent=90,
                               passing=60, reason="")
    first = actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=90, passing=60, reason="")
    second = actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=85, passing=60, reason="调整")
    assert assessment.setting_for(YEAR) == second
    assert AssessmentSetting.objects.filter(pk=first.pk).exists()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:  # append-only
        cur.execute("UPDATE oversight_assessmentsetting SET excellent = 99 WHERE id = %s", [first.pk])


def test_the_county_signs_off_once_and_it_is_audited(county, fixture_year, client):
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    officer = user_with_role(Role.COUNTY, COUNTY)
    with pytest.raises(ValidationError):  # no setting yet
        actions.assessment_sign_off(actor=officer, county=county, year=YEAR, kind="township", opinion="同意",
                                    today=TODAY)
    actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=90, passing=60, reason="")
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(PermissionDenied):
        actions.assessment_sign_off(actor=township, county=county, year=YEAR, kind="township", opinion="同意",
                                    today=TODAY)
    signoff = actions.assessment_sign_off(actor=officer, county=county, year=YEAR, kind="township", opinion="同意",
                                          today=TODAY)
    assert signoff.scores[0]["key"] in (TOWNSHIP, OTHER_TOWNSHIP)
    assert AuditEvent.objects.filter(object_type__icontains="assessmentsignoff").exists() or \
        AuditEvent.objects.filter(details__kind="township", details__year=YEAR).exists()
    with pytest.raises(ValidationError):
        actions.assessment_sign_off(actor=officer, county=county, year=YEAR, kind="township", opinion="再签",
                                    today=TODAY)
    assert AssessmentSignoff.objects.count() == 1
    client.force_login(officer)
    body = client.get(reverse("oversight:assessment"), {"county": COUNTY, "year": YEAR, "kind": "township"})
    assert "已由" in body.content.decode()


@time_machine.travel(dt.datetime(2027, 1, 15, 10), tick=False)
def test_why_of_a_score_shows_each_indicator_its_weight_points_and_the_rule(county, fixture_year, client):
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=90, passing=60, reason="")
    client.force_login(user_with_role(Role.COUNTY, COUNTY, username="why_score"))
    page = client.get(reverse("oversight:assessment"), {"county": COUNTY, "year": YEAR, "kind": "township"})
    assert "why=" + TOWNSHIP in page.content.decode() and 'data-testid="why-score"' not in page.content.decode()
    body = client.get(reverse("oversight:assessment"), {"county": COUNTY, "year": YEAR, "kind": "township",
                                                        "why": TOWNSHIP}).content.decode()
    why = body[body.index('data-testid="why-score"'):body.index('data-testid="score-sheet"')]
    assert "走访达标率" in why and "6/12" in why and "50.0%" in why and ">20.0<" in why  # 40 × 0.5
    assert "回访抽查属实率" in why and "无数据，不计" in why
    assert "计入的权重之和（70）× 100 = 57.1 分，不合格（优秀 ≥ 90 分，合格 ≥ 60 分）" in why


def test_score_steps_are_the_sheets_score():
    figs = {"visit_compliance": assessment.Figure(6, 12), "findings_on_time": assessment.Figure(1, 2),
            "spot_check_rate": assessment.Figure(0, 0)}
    score, steps, counted = assessment.score_steps(figs, list(figs), {"visit_compliance": 40, "findings_on_time": 20,
                                                                      "spot_check_rate": 40})
    assert (score, counted) == (50.0, 60) and [s["points"] for s in steps] == [20.0, 10.0, 0.0]
    assert [s["counted"] for s in steps] == [True, True, False]
