"""专项行动落实率 counts in the townships' year-end assessment with the prefecture's weight
(oversight/assessment.py, docs/campaigns.md)."""

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Area, Role
from campaigns import actions
from campaigns.actions import NeedLine
from campaigns.models import CampaignNeed, NeedSource
from oversight import actions as oversight_actions
from oversight import assessment
from oversight.models import AssessmentSetting
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import png, winter_campaign

pytestmark = pytest.mark.django_db
YEAR, TODAY = 2026, dt.date(2027, 1, 15)
WEIGHTS = {"visit_compliance": 30, "findings_on_time": 15, "spot_check_rate": 15, "referral_timeliness": 10,
           "custody_checks": 10, "inspection_rectified": 10, "campaign_done": 10}


def _campaign_year():
    """西江镇: two households in a winter campaign begun 2026-12-01; one assessed by the deadline
    and its confirmed need delivered in full (done), one never assessed."""
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    done, missed = HouseholdFactory(tier="A"), HouseholdFactory(tier="A")
    PersonFactory(household=done)
    PersonFactory(household=missed)
    campaign = winter_campaign(today=dt.date(2026, 12, 1))
    day = dt.date(2026, 12, 10)
    actions.assessment_record(actor=township, row=campaign.households.get(household=done), assessed_on=day, today=day,
                              data=actions.AssessmentInput(grain_short_days=0, clothing_sets=1, heating_source="coal",
                                                           heating_enough=True))
    need = CampaignNeed.objects.get(household=done)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, 1, NeedSource.RESERVE_FUND)], today=day)
    actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=day, received_by="本人",
                            photo=png(), today=day)


def test_the_campaign_indicator_is_weighted_into_the_township_score():
    _campaign_year()
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    setting = oversight_actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS, excellent=90, passing=60,
                                               reason="")
    sheet = {r.key: r for r in assessment.score_sheet(Area.objects.get(code=COUNTY), YEAR, "township", setting,
                                                      TODAY)}
    figure = sheet[TOWNSHIP].figures["campaign_done"]
    assert (figure.num, figure.den) == (1, 2) and figure.url.endswith("#campaigns")
    row = sheet[TOWNSHIP]
    with_data = {k: f for k, f in row.figures.items() if f.den}
    expected = 100 * sum(WEIGHTS[k] * f.num / f.den for k, f in with_data.items()) / sum(WEIGHTS[k] for k in with_data)
    assert row.score == round(expected, 1)
    # the same year without the campaign's weight scores differently: the indicator counts
    unweighted = oversight_actions.assessment_set(actor=bureau, year=YEAR, weights=WEIGHTS | {
        "campaign_done": 0, "visit_compliance": 40}, excellent=90, passing=60, reason="不计专项行动")
    other = {r.key: r for r in assessment.score_sheet(Area.objects.get(code=COUNTY), YEAR, "township", unweighted,
                                                      TODAY)}[TOWNSHIP]
    assert other.score != row.score
    assert sheet[OTHER_TOWNSHIP].figures["campaign_done"].den == 0
    # the cadres' sheet has no campaign indicator
    assert "campaign_done" not in assessment.CADRE_INDICATORS


def test_the_default_weights_add_up_to_100_and_name_every_indicator():
    assert set(assessment.DEFAULT_WEIGHTS) == set(assessment.INDICATORS)
    assert sum(assessment.DEFAULT_WEIGHTS.values()) == 100


def test_a_setting_stored_before_the_indicator_still_scores_the_same():
    """What migration oversight 0005 did to the settings already stored: weight 0, same scores."""
    _campaign_year()
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    old = {k: v for k, v in WEIGHTS.items() if k != "campaign_done"} | {"visit_compliance": 40}
    setting = AssessmentSetting.objects.create(year=YEAR, weights=old, excellent=90, passing=60, set_by=bureau)
    from importlib import import_module

    forward = import_module("oversight.migrations.0005_campaign_done_weight").FORWARD
    with connection.cursor() as cur:
        cur.execute(forward)
    setting.refresh_from_db()
    assert setting.weights == old | {"campaign_done": 0}
    sheet = {r.key: r for r in assessment.score_sheet(Area.objects.get(code=COUNTY), YEAR, "township", setting,
                                                      TODAY)}
    before = {k: f for k, f in sheet[TOWNSHIP].figures.items() if f.den and k != "campaign_done"}
    expected = 100 * sum(old[k] * f.num / f.den for k, f in before.items()) / sum(old[k] for k in before)
    assert sheet[TOWNSHIP].score == round(expected, 1)  # weight 0: the campaign's figures change nothing
