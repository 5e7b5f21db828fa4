"""Tier rules, table-driven: every criterion and every boundary of SPEC §2."""

from datetime import date

import pytest

from beneficiaries.rules import MemberFacts, Suggestion, decision_problems, suggest, tier_of

TODAY = date(2026, 6, 15)
ADULT = date(1980, 1, 1)
ELDER = date(1950, 1, 1)
CHILD = date(2015, 1, 1)
EIGHTEEN_TODAY = date(2008, 6, 15)  # 18th birthday on TODAY: an adult
EIGHTEEN_TOMORROW = date(2008, 6, 16)  # still a child
SIXTY_TODAY = date(1966, 6, 15)
SIXTY_TOMORROW = date(1966, 6, 16)


def m(birth=ADULT, **facts) -> MemberFacts:
    return MemberFacts(birth_date=birth, **facts)


SICK_CANNOT_WORK = {"serious_illness": True, "work_capacity": "none"}

CASES = [
    # (description, members, tier, criteria)
    ("nobody qualifies", [m()], "", ()),
    # A1: tekun, dispersed, semi-disabled or disabled
    ("A1 semi-disabled dispersed tekun", [m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="partial")], "A", ("A1",)),
    ("A1 disabled dispersed tekun", [m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="none")], "A", ("A1",)),
    ("not A1: tekun who cares for themselves", [m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="full")], "", ()),
    ("not A1: tekun in an institution", [m(ELDER, benefit_status="tekun", support_mode="institutional", self_care="none")], "", ()),
    # A2: scattered orphans and unattended children, seriously ill or disabled grade 1–2
    ("A2 scattered orphan seriously ill", [m(CHILD, benefit_status="orphan", support_mode="dispersed", serious_illness=True)], "A", ("A2",)),
    ("A2 orphan with no support mode recorded counts as scattered", [m(CHILD, benefit_status="orphan", disability_grade=1)], "A", ("A2",)),
    ("not A2: orphan in an institution", [m(CHILD, benefit_status="orphan", support_mode="institutional", serious_illness=True)], "", ()),
    ("A2 unattended child disabled grade 2", [m(CHILD, benefit_status="unattended_child", disability_grade=2)], "A", ("A2",)),
    ("not A2: unattended child disabled grade 3", [m(CHILD, benefit_status="unattended_child", disability_grade=3)], "", ()),
    ("A2 the day before the 18th birthday", [m(EIGHTEEN_TOMORROW, benefit_status="orphan", serious_illness=True)], "A", ("A2",)),
    ("not A2 on the 18th birthday: an adult", [m(EIGHTEEN_TODAY, benefit_status="orphan", serious_illness=True)], "", ()),
    # B1: dibao household, main earner ill / severely disabled, cannot work
    ("B1 main earner seriously ill", [m(benefit_status="dibao", is_main_earner=True, **SICK_CANNOT_WORK)], "B", ("B1",)),
    ("B1 main earner disabled grade 2", [m(benefit_status="dibao", is_main_earner=True, disability_grade=2, work_capacity="none")], "B", ("B1",)),
    ("not B1: grade 3 is not severe", [m(benefit_status="dibao", is_main_earner=True, disability_grade=3, work_capacity="none")], "", ()),
    ("not B1: still able to work", [m(benefit_status="dibao", is_main_earner=True, serious_illness=True, work_capacity="weak")], "", ()),
    ("not B1: low-income, not dibao", [m(benefit_status="low_income", is_main_earner=True, **SICK_CANNOT_WORK)], "", ()),
    ("B1 dibao status on another member counts for the household",
     [m(benefit_status="dibao"), m(is_main_earner=True, **SICK_CANNOT_WORK)], "B", ("B1",)),
    # B2: two or more members ill / severely disabled and cannot work
    ("one seriously ill member who is not the main earner: not B2", [m(benefit_status="dibao", **SICK_CANNOT_WORK), m()], "", ()),
    ("B2 two seriously ill members", [m(benefit_status="dibao", **SICK_CANNOT_WORK), m(**SICK_CANNOT_WORK)], "B", ("B2",)),
    ("B2 one ill and one grade-1 disabled",
     [m(benefit_status="dibao", **SICK_CANNOT_WORK), m(disability_grade=1, work_capacity="none")], "B", ("B2",)),
    ("not B2: the second is grade 3",
     [m(benefit_status="dibao", **SICK_CANNOT_WORK), m(disability_grade=3, work_capacity="none")], "", ()),
    ("B1 and B2 together",
     [m(benefit_status="dibao", is_main_earner=True, **SICK_CANNOT_WORK), m(**SICK_CANNOT_WORK)], "B", ("B1", "B2")),
    # B3: child in distress among unattended children
    ("B3 unattended child in distress", [m(CHILD, benefit_status="unattended_child", child_in_distress=True)], "B", ("B3",)),
    ("not B3: not in distress", [m(CHILD, benefit_status="unattended_child")], "", ()),
    ("not B3: an adult", [m(EIGHTEEN_TODAY, benefit_status="unattended_child", child_in_distress=True)], "", ()),
    # C1: low-income left-behind child or elder
    ("C1 low-income left-behind child", [m(CHILD, benefit_status="low_income", left_behind="left_behind_child")], "C", ("C1",)),
    ("C1 low-income left-behind elder at 60", [m(SIXTY_TODAY, benefit_status="low_income", left_behind="left_behind_elder")], "C", ("C1",)),
    ("not C1: elder of 59", [m(SIXTY_TOMORROW, benefit_status="low_income", left_behind="left_behind_elder")], "", ()),
    ("not C1: 'left-behind child' who is 18", [m(EIGHTEEN_TODAY, benefit_status="low_income", left_behind="left_behind_child")], "", ()),
    ("not C1: dibao, not low-income", [m(CHILD, benefit_status="dibao", left_behind="left_behind_child")], "", ()),
    ("not C1: low-income but not left behind", [m(CHILD, benefit_status="low_income")], "", ()),
    # Highest tier wins
    ("A wins over B and C", [
        m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="none"),
        m(benefit_status="dibao", is_main_earner=True, **SICK_CANNOT_WORK),
        m(CHILD, benefit_status="low_income", left_behind="left_behind_child"),
    ], "A", ("A1",)),
    ("B wins over C", [
        m(CHILD, benefit_status="unattended_child", child_in_distress=True),
        m(ELDER, benefit_status="low_income", left_behind="left_behind_elder"),
    ], "B", ("B3",)),
    ("A1 and A2 in one household", [
        m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="partial"),
        m(CHILD, benefit_status="orphan", serious_illness=True),
    ], "A", ("A1", "A2")),
]


@pytest.mark.parametrize(("members", "tier", "criteria"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_rules_suggest_the_tier_and_criteria_the_facts_meet(members, tier, criteria):
    s = suggest(members, TODAY)
    assert (s.tier, s.criteria) == (tier, criteria)


def test_the_suggestion_lists_lower_tier_criteria_met_as_well():
    s = suggest([m(ELDER, benefit_status="tekun", support_mode="dispersed", self_care="none"),
                 m(CHILD, benefit_status="low_income", left_behind="left_behind_child")], TODAY)
    assert s.all_met == ("A1", "C1")


@pytest.mark.parametrize(("criteria", "tier"), [(["A3"], "A"), (["C1", "B4"], "B"), (["C2"], "C"), ([], "")])
def test_the_tier_of_criteria_is_the_highest_among_them(criteria, tier):
    assert tier_of(criteria) == tier


@pytest.mark.parametrize("judgement", ["A3", "B4", "C2"])
def test_a_judgement_criterion_needs_a_written_reason(judgement):
    tier = judgement[0]
    assert decision_problems(tier=tier, criteria=[judgement], reason="  ")
    assert decision_problems(tier=tier, criteria=[judgement], reason="监护人长期外出务工，无人照料") == []


def test_an_override_of_the_suggestion_needs_a_reason():
    suggestion = Suggestion(tier="B", criteria=("B1",))
    problems = decision_problems(tier="A", criteria=["A3"], reason="", suggestion=suggestion)
    assert any("不一致" in p for p in problems)
    assert decision_problems(tier="B", criteria=["B1"], reason="", suggestion=suggestion) == []


def test_criteria_must_belong_to_the_chosen_tier():
    assert decision_problems(tier="A", criteria=["B1"], reason="x")
    assert decision_problems(tier="A", criteria=[], reason="x")
    assert decision_problems(tier="D", criteria=["A1"], reason="x")
