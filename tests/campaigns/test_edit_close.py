"""A declared campaign edited and closed early by the county that declared it (docs/campaigns.md)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Area, AuditEvent, Role
from beneficiaries.models import SelfCare
from campaigns import actions
from campaigns.models import Campaign, WaterAlert
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import county_officer, water_campaign, winter_campaign

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def _edit(campaign, actor, **changes):
    values = dict(name=campaign.name, starts_on=campaign.starts_on, ends_on=campaign.ends_on,
                  assess_by=campaign.assess_by, tiers=campaign.tiers,
                  limited_mobility_tiers=campaign.limited_mobility_tiers, areas=list(campaign.areas.all()),
                  water_every_days=campaign.water_every_days, note=campaign.note) | changes
    return actions.campaign_update(actor=actor, campaign=campaign, today=DAY, **values)


def test_the_county_widens_the_scope_and_moves_the_deadline_audited():
    county = county_officer()
    a = HouseholdFactory(tier="A")
    c = HouseholdFactory(tier="C")
    campaign = winter_campaign(county, tiers=["A"], limited_mobility_tiers=[])
    assert list(campaign.households.values_list("household_id", flat=True)) == [a.pk]
    _edit(campaign, county, tiers=["A", "C"], assess_by=dt.date(2027, 1, 10), ends_on=dt.date(2027, 2, 28))
    campaign.refresh_from_db()
    assert (campaign.assess_by, campaign.ends_on) == (dt.date(2027, 1, 10), dt.date(2027, 2, 28))
    assert sorted(campaign.households.values_list("household_id", flat=True)) == sorted([a.pk, c.pk])
    event = AuditEvent.objects.filter(object_type="campaigns.campaign", action="change").get()
    assert event.details["changed"]["assess_by"] == ["2026-12-20", "2027-01-10"]
    assert event.details["households_added"] == 1
    # narrowing removes nobody: what was listed stays
    _edit(campaign, county, tiers=["A"], areas=[Area.objects.get(code=TOWNSHIP)])
    assert campaign.households.count() == 2


def test_a_started_campaign_keeps_its_start_and_an_edit_cannot_end_it_in_the_past():
    county = county_officer()
    campaign = winter_campaign(county)
    with pytest.raises(ValidationError) as exc:
        _edit(campaign, county, starts_on=dt.date(2026, 12, 3), ends_on=dt.date(2026, 12, 5),
              assess_by=dt.date(2026, 12, 4))
    assert set(exc.value.message_dict) == {"starts_on", "ends_on"}
    with pytest.raises(ValidationError) as exc:
        _edit(campaign, county, areas=[Area.objects.get(code="522601000000")])
    assert "areas" in exc.value.message_dict
    assert Campaign.objects.get().starts_on == dt.date(2026, 12, 1)


def test_only_the_declaring_level_edits_or_closes():
    campaign = winter_campaign()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(PermissionDenied):
        _edit(campaign, township, name="改名")
    with pytest.raises(PermissionDenied):
        actions.campaign_close(actor=township, campaign=campaign, reason="x", today=DAY)


def test_closing_early_ends_the_water_schedule_and_its_alerts():
    county = county_officer()
    household = HouseholdFactory(tier="B")
    PersonFactory(household=household, self_care=SelfCare.NONE)
    campaign = water_campaign(county, today=dt.date(2026, 11, 20), starts_on=dt.date(2026, 11, 20),
                              ends_on=dt.date(2027, 1, 31), assess_by=dt.date(2026, 11, 30))
    assert actions.campaigns_daily(today=DAY)["alerts"] == 1
    with pytest.raises(ValidationError):
        actions.campaign_close(actor=county, campaign=campaign, reason=" ", today=DAY)
    actions.campaign_close(actor=county, campaign=campaign, reason="连降大雨，旱情解除", today=DAY)
    campaign.refresh_from_db()
    assert (campaign.ends_on, campaign.closed_on, campaign.close_reason) == (DAY, DAY, "连降大雨，旱情解除")
    assert WaterAlert.objects.get().closed_on == DAY
    assert campaign.households.get().next_water_due_on is None
    assert actions.campaigns_daily(today=DAY + dt.timedelta(days=3))["alerts"] == 0
    assert AuditEvent.objects.filter(object_type="campaigns.campaign", details__closed_early=True).count() == 1
    with pytest.raises(ValidationError):
        _edit(campaign, county, name="再改")


def test_extending_a_water_campaign_puts_households_back_on_the_schedule():
    county = county_officer()
    household = HouseholdFactory(tier="B")
    PersonFactory(household=household, self_care=SelfCare.NONE)
    campaign = water_campaign(county, today=dt.date(2026, 12, 1), starts_on=dt.date(2026, 12, 1),
                              ends_on=dt.date(2026, 12, 10), assess_by=dt.date(2026, 12, 5), water_every_days=7)
    row = campaign.households.get()
    village = user_with_role(Role.VILLAGE_COMMITTEE, household.village_id)
    actions.water_delivery_record(actor=village, row=row, delivered_on=dt.date(2026, 12, 6), litres=100,
                                  delivered_by="杨师傅", today=DAY)
    row.refresh_from_db()
    assert row.next_water_due_on is None  # the 13th is after the end
    _edit(campaign, county, ends_on=dt.date(2026, 12, 31), water_every_days=5)
    row.refresh_from_db()
    assert row.next_water_due_on == dt.date(2026, 12, 11)


def test_the_edit_page_keeps_what_was_typed_and_close_from_the_page(client):
    county = county_officer()
    campaign = winter_campaign(county)
    client.force_login(county)
    url = reverse("campaigns:edit", args=[campaign.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "雷山县冬春救助（修订）", "starts_on": "2026-12-01", "ends_on": "2027-03-31",
                                 "assess_by": "2027-05-01", "tiers": ["A"]})
    assert response.status_code == 200 and "评估截止日期应在行动期间内" in response.content.decode()
    assert "雷山县冬春救助（修订）" in response.content.decode()
    response = client.post(url, {"name": "雷山县冬春救助（修订）", "starts_on": "2026-12-01", "ends_on": "2027-03-31",
                                 "assess_by": "2026-12-25", "tiers": ["A"],
                                 "areas": [TOWNSHIP, OTHER_TOWNSHIP]})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "雷山县冬春救助（修订）" and campaign.areas.count() == 2
    response = client.post(reverse("campaigns:close", args=[campaign.pk]), {"reason": "上级通知提前结束"})
    assert response.status_code == 302 and Campaign.objects.get().closed_on == DAY
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    assert client.get(url).status_code == 404
