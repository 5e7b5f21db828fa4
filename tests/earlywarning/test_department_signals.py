"""The signals of issue 22 §1 whose facts the departments' lists, the emergencies, the custody
ledger and the person's wishes bring: each in words with its source, each dated, each stored once."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Role
from assistance.actions import emergency_declare
from beneficiaries import idnumber
from earlywarning import actions, rules
from earlywarning.models import CareWarning, Signal
from exchange.crosscheck import cross_check_run
from exchange.models import Listing
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, user_with_role
from tests.visits.factories import VisitFactory

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 3, 16)


def run(day, since=None):
    return actions.signals_refresh(since=since or day - dt.timedelta(days=40), today=day)


def words(kind):
    return sorted(Signal.objects.filter(kind=kind).values_list("words", flat=True))


@pytest.fixture
def county():
    return user_with_role(Role.COUNTY, COUNTY, username="county_ew", real_name="雷山县 民政股")


def member(household, stem, relation="head", **facts):
    number = idnumber.make(stem)
    born = idnumber.parse(number, today=TODAY)
    return PersonFactory(household=household, id_number=number, birth_date=born.birth_date, sex=born.sex,
                         relation=relation, **facts), number


def upload(county, source, records, today=TODAY):
    result = cross_check_run(actor=county, source=source, area=area(COUNTY), records=records, today=today)
    assert result.ok, result.errors
    return result


# --- 医保 -------------------------------------------------------------------------------------------


def test_high_personal_medical_costs_on_the_list_are_a_signal_naming_the_list(county, village_code):
    high, low = HouseholdFactory(village=area(village_code)), HouseholdFactory(village=area(village_code))
    _p, high_id = member(high, "52263419581020137")
    _q, low_id = member(low, "52263419600101131")
    upload(county, "medical", [
        {"参保人姓名": "潘老四", "证件号码": high_id, "结算年度": "2026", "医疗总费用(元)": "86000", "个人负担(元)": "12,300.40"},
        {"参保人姓名": "吴某", "证件号码": low_id, "结算年度": "2026", "医疗总费用(元)": "20000", "个人负担(元)": "9999.99"},
    ])
    assert run(TODAY) == 1
    s = Signal.objects.get(kind="medical_cost")
    assert s.household_id == high.pk and s.observed_on == TODAY and s.source == "医保 高额医疗费用"
    assert s.words == "医保：2026年个人自付 12,300 元（州医保局 3月16日名单）"
    # The next month's list of the same year adds nothing for the same person.
    upload(county, "medical", [{"证件号码": high_id, "结算年度": "2026", "个人负担(元)": "15000"}], today=D(2026, 4, 16))
    assert run(D(2026, 4, 16)) == 0
    assert Listing.objects.filter(source="medical").count() == 3


def test_an_unreadable_amount_is_refused_and_nothing_is_stored(county, village_code):
    h = HouseholdFactory(village=area(village_code))
    _p, number = member(h, "52263419581020137")
    result = cross_check_run(actor=county, source="medical", area=area(COUNTY), today=TODAY,
                             records=[{"证件号码": number, "个人负担(元)": "一万二"}])
    assert not result.ok and result.errors[0].column == "个人负担(元)" and "金额" in result.errors[0].message
    assert not Listing.objects.exists()


# --- 残联 -------------------------------------------------------------------------------------------


def test_a_disability_grade_changed_on_the_list_is_a_signal(county, village_code):
    changed, same = HouseholdFactory(village=area(village_code)), HouseholdFactory(village=area(village_code))
    _p, changed_id = member(changed, "52263419650704113", disability_type="visual", disability_grade=3)
    _q, same_id = member(same, "52263419700312101", disability_type="physical", disability_grade=1)
    upload(county, "disability", [
        {"公民身份号码": changed_id, "残疾类别": "视力残疾", "残疾等级": "一级"},
        {"公民身份号码": same_id, "残疾类别": "肢体残疾", "残疾等级": "一级"},
    ])
    run(TODAY)
    assert words("disability_change") == ["残联：残疾等级 三级→一级（州残联 3月16日名单）"]
    assert Signal.objects.get(kind="disability_change").household_id == changed.pk


# --- 死亡 -------------------------------------------------------------------------------------------


def test_a_death_in_a_household_with_others_left_is_a_signal_a_sole_members_is_not(county, village_code):
    couple, alone = HouseholdFactory(village=area(village_code)), HouseholdFactory(village=area(village_code))
    _h, husband = member(couple, "52263419380101171")
    member(couple, "52263419450505182", relation="spouse")
    _a, sole = member(alone, "52263419400215154")
    upload(county, "death", [{"姓名": "王老汉", "身份证号": husband, "死亡日期": "2026-02-10"},
                             {"身份证号": sole, "死亡日期": "2026/3/1"}])
    run(TODAY)
    name = couple.members.get(relation="head").name
    assert words("death_in_household") == [f"死亡：户内成员{name} 2月10日去世（州卫生健康局 3月16日名单）"]


# --- 应急事件 ----------------------------------------------------------------------------------------


def test_an_emergency_covering_the_village_is_a_signal_that_raises_other_signals(county, village_code,
                                                                                   other_village_code):
    inside = HouseholdFactory(village=area(village_code))
    outside = HouseholdFactory(village=area(other_village_code))
    with time_machine.travel(dt.datetime(2026, 6, 2, 9, tzinfo=rules.SHANGHAI), tick=False):
        emergency_declare(kind="flood", title="6·1 暴雨洪涝", county=area(COUNTY), areas=[area(TOWNSHIP)],
                          starts_on=D(2026, 6, 1), ends_on=None, special_period=False, description="",
                          actor=county, today=D(2026, 6, 2))
    # Known on the day it was entered (6月2日), not before.
    assert run(D(2026, 6, 1)) == 0
    run(D(2026, 6, 2))
    signals = Signal.objects.filter(kind="emergency")
    assert {s.household_id for s in signals} == {inside.pk} and outside.pk not in {s.household_id for s in signals}
    assert signals.get().words == "应急：洪涝“6·1 暴雨洪涝”覆盖本村（6月1日起）"
    assert signals.get().observed_on == D(2026, 6, 2)
    # By itself no warning; with health one step worse (40 + 20) a 预警.
    with time_machine.travel(dt.datetime(2026, 6, 2, 18, tzinfo=rules.SHANGHAI), tick=False):
        actions.warnings_refresh(today=D(2026, 6, 2))
        assert not CareWarning.objects.exists()
        VisitFactory(household=inside, visited_on=D(2026, 5, 20), health="fair")
        VisitFactory(household=inside, visited_on=D(2026, 6, 2), health="poor")
        run(D(2026, 6, 2))
        actions.warnings_refresh(today=D(2026, 6, 2))
    assert CareWarning.objects.get(household=inside).level == "warning"
    assert OTHER_TOWNSHIP not in {s.household.village_id[:9] for s in signals}


# --- 代管台账 ----------------------------------------------------------------------------------------


def _account(village_code):
    from tests.custody.factories import committee_user, deposit, open_account

    user = committee_user(village_code)
    account = open_account(village_code, user)
    deposit(account, 500_000, actor=user)
    return account, user


@time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=rules.SHANGHAI), tick=False)
def test_four_withdrawals_in_a_week_are_a_signal_three_are_not(village_code):
    from tests.custody.factories import withdraw

    account, user = _account(village_code)
    for day in (D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 8), D(2026, 3, 9)):  # 3/2 is 8 days before 3/9
        withdraw(account, 1_000, on=day, actor=user)
    run(TODAY)
    assert not Signal.objects.filter(key__startswith="custody_many").exists()
    withdraw(account, 1_000, on=D(2026, 3, 3), actor=user)
    run(TODAY)
    many = Signal.objects.filter(key__startswith="custody_many")
    assert {s.household_id for s in many} == {account.person.household_id} and many[0].source == "代管台账"
    # Both weeks that hold four withdrawals (a kind counts once in the score however often it recurs).
    assert words("custody_pattern") == ["代管账户：3月2日至3月8日支取4次（台账）", "代管账户：3月3日至3月9日支取4次（台账）"]


@time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=rules.SHANGHAI), tick=False)
def test_a_reversed_withdrawal_does_not_count(village_code):
    import uuid

    from custody.actions import ledger_reverse
    from tests.custody.factories import withdraw

    account, user = _account(village_code)
    postings = [withdraw(account, 1_000, on=day, actor=user) for day in (D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 8),
                                                                        D(2026, 3, 9))]
    ledger_reverse(entry=postings[1].entry, reason="重复登记", entry_date=D(2026, 3, 10), idempotency_key=uuid.uuid4(),
                   actor=user, today=TODAY)
    run(TODAY)
    assert not Signal.objects.filter(key__startswith="custody_many").exists()


def test_a_month_without_withdrawals_while_a_caregiver_serves_is_a_signal(village_code):
    from tests.custody.factories import withdraw

    with time_machine.travel(dt.datetime(2026, 2, 1, 9, tzinfo=rules.SHANGHAI), tick=False):
        account, user = _account(village_code)
        withdraw(account, 1_000, on=D(2026, 2, 1), actor=user)
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=rules.SHANGHAI), tick=False):
        run(D(2026, 3, 3), since=D(2026, 2, 1))  # 30 days since the last withdrawal: nothing yet
        assert not Signal.objects.filter(kind="custody_pattern").exists()
        run(D(2026, 3, 4), since=D(2026, 3, 4))
        none = Signal.objects.get(kind="custody_pattern")
        assert none.observed_on == D(2026, 3, 4) and none.words == "代管账户：2月1日以来31天未支取日常开支（台账）"
        assert none.household_id == account.person.household_id


def test_no_caregiver_no_signal_for_a_month_without_withdrawals(village_code):
    from tests.custody.factories import committee_user, open_account

    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=rules.SHANGHAI), tick=False):
        open_account(village_code, committee_user(village_code), caregiver=False)
        run(D(2026, 3, 16), since=D(2026, 1, 1))
    assert not Signal.objects.filter(kind="custody_pattern").exists()


# --- 本人意愿 ----------------------------------------------------------------------------------------


def test_a_wish_asking_for_help_is_a_signal_once(village_code):
    h = HouseholdFactory(village=area(village_code))
    VisitFactory(household=h, visited_on=D(2026, 11, 1), wishes="希望身体健康")
    VisitFactory(household=h, visited_on=D(2026, 11, 10), wishes="希望帮忙修房子，屋顶漏雨")
    VisitFactory(household=h, visited_on=D(2026, 11, 20), wishes="希望帮忙修房子，屋顶漏雨")  # said before: no
    other = HouseholdFactory(village=area(village_code))
    VisitFactory(household=other, visited_on=D(2026, 11, 10), wishes="无困难")
    VisitFactory(household=other, visited_on=D(2026, 11, 12), wishes="需要帮助", wishes_not_asked=True)
    run(D(2026, 11, 21))
    assert words("wish_for_help") == ["本人意愿：希望帮忙修房子，屋顶漏雨（11月10日走访）"]


def test_a_list_pushed_over_the_api_names_the_tokens_department(client, village_code):
    from django.urls import reverse

    from tests.exchange.factories import auth, make_token

    couple = HouseholdFactory(village=area(village_code))
    _h, husband = member(couple, "52263419380101171")
    member(couple, "52263419450505182", relation="spouse")
    _token, secret = make_token(department="civil-affairs", area=COUNTY)
    pushed = client.post(reverse("api:status_lists"), {"source": "death", "rows": [
        {"姓名": "王老汉", "身份证号": husband, "死亡日期": "2026-02-10"}]}, content_type="application/json", **auth(secret))
    assert pushed.status_code in (200, 201), pushed.content
    listing = Listing.objects.get()
    run(listing.listed_on)
    [words_] = words("death_in_household")
    assert words_.endswith(f"2月10日去世（州民政局 {listing.listed_on.month}月{listing.listed_on.day}日名单）")
