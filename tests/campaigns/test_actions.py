import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import Area, Notification, Role
from beneficiaries.models import SelfCare
from campaigns import actions, queries
from campaigns.actions import AssessmentInput, NeedLine
from campaigns.models import (
    CampaignHousehold,
    CampaignNeed,
    Delivery,
    Donation,
    Item,
    NeedSource,
    NeedStatus,
    StockEntry,
    WaterAlert,
)
from services import queries as services_queries
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

from .factories import WINTER_DAY, county_officer, png, water_campaign, winter_campaign

pytestmark = pytest.mark.django_db
WINTER = AssessmentInput(grain_short_days=10, clothing_sets=2, heating_source="wood", heating_enough=False)


def _households():
    a, b = HouseholdFactory(tier="A"), HouseholdFactory(tier="B")
    c_limited, c_mobile = HouseholdFactory(tier="C"), HouseholdFactory(tier="C")
    PersonFactory(household=a)
    PersonFactory(household=a, relation="spouse")
    PersonFactory(household=c_limited, self_care=SelfCare.PARTIAL)
    PersonFactory(household=c_mobile)
    return a, b, c_limited, c_mobile


def test_a_winter_campaign_lists_tiers_a_and_b_and_tier_c_with_limited_mobility():
    a, b, c_limited, c_mobile = _households()
    campaign = winter_campaign()
    listed = set(CampaignHousehold.objects.filter(campaign=campaign).values_list("household_id", flat=True))
    assert listed == {a.pk, b.pk, c_limited.pk}
    # Refreshing adds newcomers once and never doubles a row.
    newcomer = HouseholdFactory(tier="B")
    assert actions.campaign_scope_refresh(campaign=campaign, today=WINTER_DAY) == 1
    assert actions.campaign_scope_refresh(campaign=campaign, today=WINTER_DAY) == 0
    assert campaign.households.filter(household=newcomer).exists()


def test_only_a_county_or_the_prefecture_declares_and_the_period_must_make_sense():
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(PermissionDenied):
        winter_campaign(township)
    with pytest.raises(ValidationError) as err:
        winter_campaign(assess_by=dt.date(2027, 5, 1))
    assert "assess_by" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        winter_campaign(tiers=[], limited_mobility_tiers=[])
    assert "tiers" in err.value.message_dict


def test_a_county_campaign_is_seen_by_its_township_but_not_by_another_county():
    campaign = winter_campaign()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    outsider = user_with_role(Role.COUNTY, "522601000000")
    assert list(queries.campaigns_for(township)) == [campaign]
    assert list(queries.campaigns_for(outsider)) == []


def test_an_assessment_proposes_needs_and_a_new_one_replaces_only_proposals():
    a, *_ = _households()
    campaign = winter_campaign()
    row = campaign.households.get(household=a)
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    actions.assessment_record(actor=township, row=row, data=WINTER, assessed_on=WINTER_DAY, today=WINTER_DAY)
    needs = {n.item: n.quantity for n in CampaignNeed.objects.filter(household=a)}
    assert needs == {Item.GRAIN: 10, Item.CLOTHING: 2, Item.HEATING: 1}  # 10 days × 2 people × 0.5 kg
    actions.needs_confirm(actor=township, lines=[NeedLine(CampaignNeed.objects.get(household=a, item=Item.GRAIN),
                                                          15, NeedSource.STOCK)], today=WINTER_DAY)
    again = AssessmentInput(grain_short_days=4, clothing_sets=0, heating_source="coal", heating_enough=True)
    actions.assessment_record(actor=township, row=row, data=again, assessed_on=WINTER_DAY, today=WINTER_DAY)
    assert {n.item: (n.quantity, n.status) for n in CampaignNeed.objects.filter(household=a)} == {
        Item.GRAIN: (15, NeedStatus.CONFIRMED)}


def test_an_incomplete_assessment_says_what_is_missing_and_changes_nothing():
    a, *_ = _households()
    row = winter_campaign().households.get(household=a)
    with pytest.raises(ValidationError) as err:
        actions.assessment_record(actor=user_with_role(Role.TOWNSHIP, TOWNSHIP), row=row,
                                  data=AssessmentInput(grain_short_days=3), assessed_on=WINTER_DAY, today=WINTER_DAY)
    assert set(err.value.message_dict) == {"clothing_sets", "heating_source", "heating_enough"}
    row.refresh_from_db()
    assert row.assessed_on is None and not CampaignNeed.objects.exists()


# --- stock ledger --------------------------------------------------------------------------------


def _confirmed_need(source=NeedSource.STOCK, quantity=2):
    a, *_ = _households()
    campaign = winter_campaign()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    actions.assessment_record(actor=township, row=campaign.households.get(household=a), data=WINTER,
                              assessed_on=WINTER_DAY, today=WINTER_DAY)
    need = CampaignNeed.objects.get(household=a, item=Item.CLOTHING)
    actions.needs_confirm(actor=township, lines=[NeedLine(need, quantity, source)], today=WINTER_DAY)
    need.refresh_from_db()
    return need, township


def test_stock_is_received_issued_by_delivery_and_the_balance_follows():
    need, township = _confirmed_need()
    area = Area.objects.get(code=TOWNSHIP)
    actions.stock_receive(actor=township, area=area, item=Item.CLOTHING, quantity=5, occurred_on=WINTER_DAY,
                          source=NeedSource.STOCK, today=WINTER_DAY)
    delivery = actions.delivery_record(actor=township, need=need, quantity=2, delivered_on=WINTER_DAY,
                                       received_by="王阿婆", photo=png(), today=WINTER_DAY)
    entries = list(StockEntry.objects.filter(area=area, item=Item.CLOTHING).order_by("seq"))
    assert [(e.seq, e.kind, e.delta, e.balance_after) for e in entries] == [
        (1, "received", 5, 5), (2, "issued", -2, 3)]
    assert entries[1].delivery == delivery
    need.refresh_from_db()
    assert need.delivered == 2
    on_hand = queries.stock_on_hand(township)
    assert [(r["item"], r["received"], r["issued"], r["on_hand"]) for r in on_hand] == [(Item.CLOTHING, 5, 2, 3)]


def test_stock_never_goes_negative_and_nothing_is_kept_of_the_refused_delivery():
    need, township = _confirmed_need()
    actions.stock_receive(actor=township, area=Area.objects.get(code=TOWNSHIP), item=Item.CLOTHING, quantity=1,
                          occurred_on=WINTER_DAY, source=NeedSource.STOCK, today=WINTER_DAY)
    with pytest.raises(ValidationError) as err:
        actions.delivery_record(actor=township, need=need, quantity=2, delivered_on=WINTER_DAY, received_by="王阿婆",
                                photo=png(), today=WINTER_DAY)
    assert "库存不足" in str(err.value)
    assert not Delivery.objects.exists()
    need.refresh_from_db()
    assert need.delivered == 0


def test_the_database_refuses_a_negative_balance_even_written_directly():
    user = county_officer()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockEntry.objects.create(area_id=TOWNSHIP, item=Item.GRAIN, kind="received", delta=5,
                                  balance_after=-1, occurred_on=WINTER_DAY, recorded_by=user, seq=0)
        # balance_after and seq given by hand are overwritten by the trigger: 5, then -3 is refused.
        assert StockEntry.objects.get().balance_after == 5
        with connection.cursor() as cur:
            cur.execute("INSERT INTO campaigns_stockentry (area_id, item, seq, kind, delta, balance_after, occurred_on,"
                        " source, note, recorded_by_id, recorded_at, delivery_id) SELECT %s, 'grain', 99, 'issued', -8,"
                        " 100, %s, '', '', %s, now(), NULL", [TOWNSHIP, WINTER_DAY, user.pk])


def test_stock_entries_donations_and_deliveries_are_append_only():
    need, township = _confirmed_need(source=NeedSource.DONATION)
    actions.donation_record(actor=township, area=Area.objects.get(code=TOWNSHIP), donor="贵州爱心企业",
                            received_on=WINTER_DAY, item=Item.CLOTHING, quantity=10, today=WINTER_DAY)
    actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=WINTER_DAY, received_by="王阿婆",
                            signature=png("sign.png"), today=WINTER_DAY)
    for model in (StockEntry, Donation, Delivery):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            model.objects.all().update(note="改")
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {model._meta.db_table}")


def test_issued_equals_delivered_after_deliveries_and_a_reversal():
    need, township = _confirmed_need(quantity=3)
    actions.stock_receive(actor=township, area=Area.objects.get(code=TOWNSHIP), item=Item.CLOTHING, quantity=10,
                          occurred_on=WINTER_DAY, source=NeedSource.STOCK, today=WINTER_DAY)
    first = actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=WINTER_DAY,
                                    received_by="王阿婆", photo=png(), today=WINTER_DAY)
    actions.delivery_record(actor=township, need=need, quantity=2, delivered_on=WINTER_DAY, received_by="王阿婆",
                            photo=png(), today=WINTER_DAY)
    actions.delivery_reverse(actor=township, delivery=first, reason="重复登记", today=WINTER_DAY)
    delivered = sum(Delivery.objects.values_list("quantity", flat=True))
    issued = -sum(StockEntry.objects.exclude(kind="received").values_list("delta", flat=True))
    assert delivered == issued == 2
    need.refresh_from_db()
    assert need.delivered == 2
    assert StockEntry.objects.order_by("-seq").first().balance_after == 8


def test_a_delivery_needs_a_confirmed_need_and_proof():
    a, *_ = _households()
    campaign = winter_campaign()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    actions.assessment_record(actor=township, row=campaign.households.get(household=a), data=WINTER,
                              assessed_on=WINTER_DAY, today=WINTER_DAY)
    need = CampaignNeed.objects.get(household=a, item=Item.HEATING)
    with pytest.raises(ValidationError) as err:
        actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=WINTER_DAY, received_by="",
                                today=WINTER_DAY)
    assert set(err.value.message_dict) == {"quantity", "received_by", "photo"}


def test_a_delivery_sent_twice_by_the_outbox_is_stored_once():
    import uuid

    need, township = _confirmed_need(source=NeedSource.RESERVE_FUND)
    token = uuid.uuid4()
    one = actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=WINTER_DAY, received_by="王",
                                  photo=png(), client_token=token, today=WINTER_DAY)
    two = actions.delivery_record(actor=township, need=need, quantity=1, delivered_on=WINTER_DAY, received_by="王",
                                  photo=png(), client_token=token, today=WINTER_DAY)
    assert one == two and Delivery.objects.count() == 1


# --- water -------------------------------------------------------------------------------------------


def test_a_missed_water_delivery_raises_one_alert_and_the_next_delivery_closes_it():
    limited = HouseholdFactory(tier="B")
    PersonFactory(household=limited, self_care=SelfCare.NONE)
    PersonFactory(household=HouseholdFactory(tier="B"))
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    campaign = water_campaign()
    row = campaign.households.get()
    assert row.household == limited and row.next_water_due_on == dt.date(2026, 7, 1)
    actions.water_delivery_record(actor=township, row=row, delivered_on=dt.date(2026, 7, 1), litres=200,
                                  delivered_by="村委会 杨师傅", today=dt.date(2026, 7, 1))
    row.refresh_from_db()
    assert row.next_water_due_on == dt.date(2026, 7, 8)
    assert actions.campaigns_daily(today=dt.date(2026, 7, 8))["alerts"] == 0  # due today: not missed yet
    assert actions.campaigns_daily(today=dt.date(2026, 7, 9))["alerts"] == 1
    assert actions.campaigns_daily(today=dt.date(2026, 7, 10))["alerts"] == 0  # once per due date
    alert = WaterAlert.objects.get()
    assert alert.due_on == dt.date(2026, 7, 8)
    assert Notification.objects.filter(recipient=township, key=f"water-alert:{alert.pk}").exists()
    assert list(queries.open_water_alerts(township)) == [alert]
    assert list(queries.open_water_alerts(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))) == []
    actions.water_delivery_record(actor=township, row=row, delivered_on=dt.date(2026, 7, 10), litres=200,
                                  delivered_by="村委会 杨师傅", today=dt.date(2026, 7, 10))
    alert.refresh_from_db()
    assert alert.closed_on == dt.date(2026, 7, 10)


def test_the_services_water_and_winter_lists_read_the_running_campaigns():
    a, b, c_limited, _ = _households()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    assert list(services_queries.winter_relief(township, today=WINTER_DAY)) == []
    campaign = winter_campaign()
    actions.assessment_record(actor=township, row=campaign.households.get(household=a), data=WINTER,
                              assessed_on=WINTER_DAY, today=WINTER_DAY)
    rows = list(services_queries.winter_relief(township, today=WINTER_DAY))
    assert rows[-1] == a and (rows[-1].need_grain, rows[-1].need_clothing, rows[-1].need_heating) == (True, True, True)
    assert set(rows[:-1]) == {b, c_limited}
    water_campaign()
    assert list(services_queries.limited_mobility_in_dry_season(township, today=dt.date(2026, 7, 2))) == [c_limited]
    assert list(services_queries.limited_mobility_in_dry_season(township, today=dt.date(2026, 9, 1))) == []


def test_the_board_counts_in_scope_assessed_confirmed_delivered_and_overdue():
    need, township = _confirmed_need(source=NeedSource.RESERVE_FUND, quantity=2)
    campaign = need.campaign
    actions.delivery_record(actor=township, need=need, quantity=2, delivered_on=WINTER_DAY, received_by="王阿婆",
                            photo=png(), today=WINTER_DAY)
    for other in CampaignNeed.objects.exclude(pk=need.pk):
        actions.needs_confirm(actor=township, lines=[NeedLine(other, other.quantity, NeedSource.STOCK, cancel=True)],
                              today=WINTER_DAY)
    county = county_officer()
    rows = queries.board(county, campaign, Area.objects.get(code=campaign.area_id), dt.date(2026, 12, 21))
    assert [(r.code, r.in_scope, r.assessed, r.needs_confirmed, r.delivered, r.overdue) for r in rows] == [
        (TOWNSHIP, 3, 1, 1, 1, 2)]
    assert queries.board(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP), campaign,
                         Area.objects.get(code=OTHER_TOWNSHIP), WINTER_DAY) == []


def test_the_township_assessment_shows_the_campaigns_figures(client):
    need, township = _confirmed_need(source=NeedSource.RESERVE_FUND, quantity=2)
    actions.delivery_record(actor=township, need=need, quantity=2, delivered_on=WINTER_DAY, received_by="王阿婆",
                            photo=png(), today=WINTER_DAY)
    county = Area.objects.get(code="522634000000")
    [row] = queries.township_figures(county, 2026, dt.date(2026, 12, 21))
    assert (row["township"], row["in_scope"], row["assessed_on_time"], row["needs_confirmed"], row["delivered"],
            row["water_missed"]) == (TOWNSHIP, 3, 1, 1, 1, 0)
    assert queries.township_figures(county, 2025, dt.date(2025, 12, 31)) == []
    client.force_login(county_officer())
    page = client.get("/oversight/assessment/", {"county": county.code, "year": 2026, "kind": "township"})
    assert page.status_code == 200 and 'data-testid="campaign-figures"' in page.content.decode()


def test_a_bureau_defined_campaign_asks_its_own_short_checklist():
    a, *_ = _households()
    campaign = winter_campaign(kind="other", name="雷山县防汛转移排查", questions=["房屋是否临河", "转移去向"])
    row = campaign.households.get(household=a)
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(ValidationError) as err:
        actions.assessment_record(actor=township, row=row, data=AssessmentInput(answers={"房屋是否临河": "是"}),
                                  assessed_on=WINTER_DAY, today=WINTER_DAY)
    assert "转移去向" in str(err.value)
    actions.assessment_record(actor=township, row=row, assessed_on=WINTER_DAY, today=WINTER_DAY,
                              data=AssessmentInput(answers={"房屋是否临河": "是", "转移去向": "亲戚家"}))
    row.refresh_from_db()
    assert row.answers == {"房屋是否临河": "是", "转移去向": "亲戚家"} and not CampaignNeed.objects.exists()
    with pytest.raises(ValidationError):
        winter_campaign(kind="other", name="无问题的行动", questions=[])
