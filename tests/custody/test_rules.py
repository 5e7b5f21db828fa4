"""Pure rules: eligibility, custodian and caregiver conditions, money parsing, sampling."""

import datetime as dt

import pytest

from custody import rules
from tests.factories import id_number_for

ELIGIBLE = rules.PersonFacts(name="王某", tier="A", household_active=True, civil_capacity="none",
                             guardian_name="", guardian_can_act=None)


def facts(**changes) -> rules.PersonFacts:
    return rules.PersonFacts(**{**ELIGIBLE.__dict__, **changes})


def test_a_tier_a_person_without_capacity_or_guardian_is_eligible():
    assert rules.eligibility_errors(ELIGIBLE) == []


@pytest.mark.parametrize("changes", [
    {"tier": "B"},
    {"civil_capacity": "limited"},
    {"guardian_name": "王父", "guardian_can_act": False},
])
def test_other_eligible_combinations(changes):
    assert rules.eligibility_errors(facts(**changes)) == []


def test_tier_c_is_refused_naming_the_tier():
    assert rules.eligibility_errors(facts(tier="C")) == [
        "王某 所在家庭类别为“C”，保障资金代管只适用于A类、B类群体。"
    ]


def test_unclassified_household_is_refused():
    assert rules.eligibility_errors(facts(tier="")) == [
        "王某 所在家庭类别为“未认定”，保障资金代管只适用于A类、B类群体。"
    ]


def test_full_civil_capacity_is_refused():
    assert rules.eligibility_errors(facts(civil_capacity="full")) == [
        "王某 具有完全民事行为能力，保障资金代管只适用于无民事行为能力或限制民事行为能力人员。"
    ]


def test_a_guardian_who_can_act_is_refused_naming_the_guardian():
    assert rules.eligibility_errors(facts(guardian_name="王父", guardian_can_act=True)) == [
        "王某 的监护人（王父）能够正常履行监护职责，不需要实施保障资金代管。"
    ]


def test_a_guardian_whose_ability_is_unrecorded_is_refused():
    assert rules.eligibility_errors(facts(guardian_name="王父", guardian_can_act=None)) == [
        "王某 有监护人（王父），但尚未登记监护人能否正常履行职责，请先在名单中补录。"
    ]


def test_an_exited_household_is_refused():
    assert rules.eligibility_errors(facts(household_active=False)) == ["王某 所在家庭已退出关爱名单，不能开设代管账户。"]


def test_every_unmet_condition_is_named_at_once():
    errors = rules.eligibility_errors(facts(tier="C", civil_capacity="full", guardian_name="王父", guardian_can_act=True))
    assert len(errors) == 3


# --- custodian ---------------------------------------------------------------------------------

PERSON_ID = id_number_for(3, dt.date(1950, 2, 2))
CHILD_BIRTH = dt.date(2014, 6, 1)
MEETING = dt.date(2026, 1, 5)
VILLAGE = "522634101001"


def cand(**changes) -> rules.CustodianCandidate:
    base = dict(name="杨老", id_number=id_number_for(9, dt.date(1955, 1, 1)), is_party_member=False,
                is_village_elder=True, is_committee_head=False)
    return rules.CustodianCandidate(**{**base, **changes})


def custodian_errors(candidate, **kw):
    args = dict(person_id_number=PERSON_ID, person_birth_date=dt.date(1950, 2, 2), person_village=VILLAGE,
                meeting_village=VILLAGE, meeting_date=MEETING, starts_on=MEETING)
    args.update(kw)
    return rules.custodian_errors(candidate, **args)


def test_a_village_elder_may_be_custodian():
    assert custodian_errors(cand()) == []


def test_a_party_member_may_be_custodian():
    assert custodian_errors(cand(is_village_elder=False, is_party_member=True)) == []


def test_custodian_must_be_party_member_or_elder():
    assert custodian_errors(cand(is_village_elder=False)) == ["保障资金代管人须从党员或寨老中推选，杨老 既不是党员也不是寨老。"]


def test_committee_head_may_not_be_custodian():
    assert custodian_errors(cand(is_committee_head=True)) == ["村(居)两委负责人不能担任保障资金代管人。"]


def test_the_caregiver_may_not_be_custodian():
    c = cand()
    assert custodian_errors(c, caregiver_name="杨老", caregiver_id_number=c.id_number.lower()) == [
        "杨老 是该对象现任照料护理人，代管人不能同时担任照料护理人。"
    ]


def test_the_person_may_not_be_their_own_custodian():
    assert custodian_errors(cand(id_number=PERSON_ID)) == ["代管对象本人不能担任自己的保障资金代管人。"]


def test_meeting_of_another_village_cannot_elect():
    assert custodian_errors(cand(), meeting_village="522634101002") == ["推选代管人的村民会议须由该对象所在村(居)召开。"]


def test_term_cannot_start_before_the_meeting():
    assert custodian_errors(cand(), starts_on=MEETING - dt.timedelta(days=1)) == ["任职日期不能早于推选会议日期（2026-01-05）。"]


def test_for_a_minor_the_legal_procedure_and_the_childs_wishes_are_required():
    assert custodian_errors(cand(), person_birth_date=CHILD_BIRTH) == [
        "该对象是未成年人：须记录推选前已履行的法律程序。",
        "该对象是未成年人：须记录根据其年龄、智力状况征求的本人真实意愿。",
    ]
    ok = cand(legal_procedure="经法院指定", child_wishes="本人同意由杨老代管")
    assert custodian_errors(ok, person_birth_date=CHILD_BIRTH) == []


def test_caregiver_may_not_be_the_custodian():
    cid = id_number_for(9, dt.date(1955, 1, 1))
    assert rules.caregiver_errors(name="杨老", id_number=cid, person_id_number=PERSON_ID, custodian_name="杨老",
                                  custodian_id_number=cid) == ["杨老 是该对象现任保障资金代管人，照料护理人不能由代管人担任。"]


# --- money, dates, sampling --------------------------------------------------------------------

@pytest.mark.parametrize("text,fen", [("12.5", 1250), ("1,000", 100000), ("3元", 300), ("0.01", 1), ("7", 700)])
def test_yuan_text_becomes_exact_fen(text, fen):
    assert rules.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "-1", "1.234", "abc", "1e3", "."])
def test_bad_amounts_are_refused(text):
    with pytest.raises(ValueError):
        rules.parse_yuan(text)


def test_fen_print_as_yuan():
    assert rules.yuan(123456) == "1,234.56"
    assert rules.yuan(-5) == "-0.05"


def test_adding_months_clamps_to_month_end():
    assert rules.add_months(dt.date(2026, 5, 31), -3) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_the_same_seed_draws_the_same_sample():
    population = list(range(1, 41))
    first = rules.draw_sample(population, 25, seed=7)
    assert len(first) == 10
    assert rules.draw_sample(list(reversed(population)), 25, seed=7) == first
    assert rules.draw_sample(population, 25, seed=8) != first


def test_a_small_percentage_still_samples_one_account():
    assert rules.sample_size(3, 10) == 1
    assert rules.sample_size(0, 10) == 0


def test_check_is_overdue_after_three_months():
    opened = dt.date(2026, 1, 5)
    assert not rules.is_check_overdue(last_checked_on=None, opened_on=opened, today=dt.date(2026, 4, 5))
    assert rules.is_check_overdue(last_checked_on=None, opened_on=opened, today=dt.date(2026, 4, 6))
