"""Emergencies: who is affected, the roll call (idempotent, scoped), the board's counts."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Area, Role
from assistance import actions, queries
from assistance.models import RollCall
from tests.assistance.factories import TODAY, household
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import PairingFactory, cadre_user, user_with_role
from visits.models import SpecialPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_user():
    return user_with_role(Role.COUNTY, COUNTY)


def declare(county_user, *codes, special_period=False):
    return actions.emergency_declare(
        kind="flood", title="11·30 洪涝", county=Area.objects.get(code=COUNTY),
        areas=[Area.objects.get(code=c) for c in codes], starts_on=TODAY, ends_on=None,
        special_period=special_period, description="", actor=county_user, today=TODAY)


def test_affected_are_active_abc_households_in_the_areas(county_user, village_code, other_village_code):
    inside = [household(village_code, tier=t) for t in "ABC"]
    household(village_code, tier="")  # not classified
    household(village_code, tier="A", status="exited", exited_on=TODAY, exit_reason="迁出")
    household(other_village_code, tier="A")  # 丹江镇, not declared
    event = declare(county_user, TOWNSHIP)
    assert set(queries.affected_households(event)) == set(inside)


def test_declaring_needs_the_county_and_areas_inside_it(county_user):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(PermissionDenied):
        declare(township, TOWNSHIP)
    with pytest.raises(ValidationError):
        declare(county_user, "522601001000")  # 凯里市: another county


def test_a_special_period_is_declared_for_each_area(county_user):
    declare(county_user, TOWNSHIP, OTHER_TOWNSHIP, special_period=True)
    assert set(SpecialPeriod.objects.values_list("area_id", flat=True)) == {TOWNSHIP, OTHER_TOWNSHIP}


def test_roll_call_is_idempotent_per_token_and_the_latest_check_wins(county_user, village_code):
    h = household(village_code)
    event = declare(county_user, TOWNSHIP)
    village = user_with_role(Role.VILLAGE_COMMITTEE, village_code)
    token = uuid.uuid4()
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)):
        for _ in range(3):
            actions.roll_call_mark(emergency=event, household=h, status="needs_evacuation", actor=village,
                                   client_token=token)
    assert RollCall.objects.count() == 1
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)):
        actions.roll_call_mark(emergency=event, household=h, status="evacuated", actor=village)
    row = queries.roll_call_rows(event, village).get(pk=h.pk)
    assert row.latest_status == "evacuated"


def test_roll_call_refuses_households_outside_the_event_or_the_users_reach(county_user, village_code,
                                                                           other_village_code):
    event = declare(county_user, TOWNSHIP)
    outside = household(other_village_code)
    with pytest.raises(ValidationError):
        actions.roll_call_mark(emergency=event, household=outside, status="safe", actor=county_user)
    h = household(village_code)
    stranger, _cadre = cadre_user("stranger")  # a cadre not paired with h
    with pytest.raises(PermissionDenied):
        actions.roll_call_mark(emergency=event, household=h, status="safe", actor=stranger)


def test_the_board_counts_latest_status_per_village_and_the_unknown(county_user, village_code):
    villages = list(Area.objects.filter(parent_id=TOWNSHIP).order_by("code").values_list("code", flat=True)[:2])
    a = [household(villages[0]) for _ in range(4)]
    b = [household(villages[1]) for _ in range(2)]
    event = declare(county_user, TOWNSHIP)
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    mark = lambda h, s: actions.roll_call_mark(emergency=event, household=h, status=s, actor=township)  # noqa: E731
    mark(a[0], "unreachable")
    mark(a[0], "safe")  # found later: the latest check counts
    mark(a[1], "needs_rescue")
    mark(b[0], "evacuated")
    board = queries.board(event, township)
    by_village = {v["village_id"]: v for v in board["villages"]}
    assert (by_village[villages[0]]["total"], by_village[villages[0]]["unknown"]) == (4, 2)
    assert (by_village[villages[0]]["safe"], by_village[villages[0]]["needs_rescue"]) == (1, 1)
    assert by_village[villages[0]]["unreachable"] == 0
    assert (by_village[villages[1]]["evacuated"], by_village[villages[1]]["unknown"]) == (1, 1)
    assert board["totals"]["total"] == 6 and board["totals"]["unknown"] == 3


def test_a_cadre_sees_only_paired_households_on_the_roll_call(county_user, village_code):
    mine, theirs = household(village_code), household(village_code)
    user, cadre = cadre_user("ganbu1")
    PairingFactory(household=mine, cadre=cadre)
    event = declare(county_user, TOWNSHIP)
    assert list(queries.roll_call_rows(event, user)) == [mine]
    assert event in queries.emergencies_for(user)
    other = user_with_role(Role.TOWNSHIP, "522634103000")
    assert event not in queries.emergencies_for(other)
    assert theirs  # visible to the township, not to the cadre


def test_relief_is_recorded_for_affected_households_only(county_user, village_code, other_village_code):
    event = declare(county_user, TOWNSHIP)
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    h = household(village_code)
    actions.relief_record(emergency=event, household=h, given_on=TODAY, items="大米 25kg、棉被 2 床",
                          amount_fen=30_000, actor=township)
    with pytest.raises(ValidationError):
        actions.relief_record(emergency=event, household=household(other_village_code), given_on=TODAY, items="x",
                              amount_fen=0, actor=county_user)
    assert queries.reliefs_total(event, township) == {"count": 1, "amount_fen": 30_000}
