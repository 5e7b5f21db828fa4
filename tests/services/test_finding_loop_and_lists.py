import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Area, Role
from beneficiaries.models import WorkCapacity
from services import actions, queries
from services.models import ProviderKind, ReferralStatus, ServiceKind
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role
from tests.services.factories import at, liaison, make_referral, paired_household
from tests.visits.factories import visit_input
from visits.actions import FindingInput, visit_record
from visits.models import FindingEvent, FindingStatus

pytestmark = pytest.mark.django_db
S = ReferralStatus


def _visit_with_benefit_finding(household, cadre, today=dt.date(2026, 3, 2)):
    visit = visit_record(actor=cadre, household=household, data=visit_input(visited_on=today),
                         findings=[FindingInput(kind="benefit", description="住院费用高，可能符合医疗救助")], today=today)
    return visit.findings.get()


def test_finding_to_referral_to_resolution_closes_the_finding():
    household, cadre = paired_household()
    finding = _visit_with_benefit_finding(household, cadre)
    referral = make_referral(actor=cadre, household=household, finding=finding, problem=finding.description)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.IN_PROGRESS  # referred: in progress, through visits' own action

    yibao = liaison()
    actions.referral_transition(actor=yibao, referral=referral, to_status=S.ACCEPTED, now=at(2026, 3, 3))
    actions.referral_transition(actor=yibao, referral=referral, to_status=S.RESOLVED,
                                note="已纳入医疗救助对象，报销比例提高", now=at(2026, 3, 5))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.closed_on == dt.date(2026, 3, 5)
    assert "州医保局" in finding.closing_note and "已纳入医疗救助对象" in finding.closing_note
    closing = FindingEvent.objects.get(finding=finding, to_status=FindingStatus.CLOSED)
    assert closing.actor == yibao  # the liaison who resolved the referral closes the loop


def test_a_liaison_may_not_close_a_finding_without_its_referral():
    from django.core.exceptions import PermissionDenied

    from visits.actions import finding_transition

    household, cadre = paired_household()
    finding = _visit_with_benefit_finding(household, cadre)
    other_finding = _visit_with_benefit_finding(household, cadre, today=dt.date(2026, 3, 3))
    referral = make_referral(actor=cadre, household=household, finding=finding)
    yibao = liaison()
    with pytest.raises(PermissionDenied):
        finding_transition(actor=yibao, finding=other_finding, to_status=FindingStatus.CLOSED, note="x",
                           today=dt.date(2026, 3, 5), via_referral=referral)
    with pytest.raises(PermissionDenied):
        finding_transition(actor=yibao, finding=finding, to_status=FindingStatus.CLOSED, note="x",
                           today=dt.date(2026, 3, 5))


def test_declining_a_referral_leaves_its_finding_open_for_the_cadre():
    household, cadre = paired_household()
    finding = _visit_with_benefit_finding(household, cadre)
    referral = make_referral(actor=cadre, household=household, finding=finding)
    actions.referral_transition(actor=liaison(), referral=referral, to_status=S.DECLINED, note="不属于本部门职责",
                                now=at(2026, 3, 3))
    finding.refresh_from_db()
    assert finding.status == FindingStatus.IN_PROGRESS


def test_a_closed_finding_or_another_households_finding_cannot_be_referred():
    household, cadre = paired_household()
    other, _ = paired_household("cadre2")
    official = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    finding = _visit_with_benefit_finding(household, cadre)
    with pytest.raises(ValidationError, match="该问题不属于这个家庭"):
        make_referral(actor=official, household=other, finding=finding)
    make_referral(actor=cadre, household=household, finding=finding)
    from visits.actions import finding_transition

    finding.refresh_from_db()
    finding_transition(actor=cadre, finding=finding, to_status=FindingStatus.CLOSED, note="已解决",
                       today=dt.date(2026, 3, 3))
    finding.refresh_from_db()
    with pytest.raises(ValidationError, match="该问题已办结"):
        make_referral(actor=cadre, household=household, finding=finding)


# --- §4 lists ---------------------------------------------------------------------------------

TODAY = dt.date(2026, 9, 1)


@pytest.fixture
def township():
    return user_with_role(Role.TOWNSHIP, TOWNSHIP)


def test_education_list_gives_tier_a_every_stage_and_b_c_compulsory_only(township):
    a, b = HouseholdFactory(tier="A"), HouseholdFactory(tier="B", criteria=["B1"])
    a_senior = PersonFactory(household=a, relation="child", birth_date=dt.date(2010, 5, 1))  # 16
    a_pre = PersonFactory(household=a, relation="child", birth_date=dt.date(2022, 5, 1))  # 4
    b_senior = PersonFactory(household=b, relation="child", birth_date=dt.date(2010, 5, 2))  # 16
    b_primary = PersonFactory(household=b, relation="child", birth_date=dt.date(2016, 5, 1))  # 10
    PersonFactory(household=b, birth_date=dt.date(1970, 1, 1))
    listed = set(queries.education_aid(township, today=TODAY))
    assert listed == {a_senior, a_pre, b_primary}
    assert b_senior not in listed


def test_b_c_members_able_to_work_and_unemployed_are_listed_for_registration(township):
    b, a = HouseholdFactory(tier="C", criteria=["C1"]), HouseholdFactory(tier="A")
    listed = PersonFactory(household=b, birth_date=dt.date(1990, 1, 1), work_capacity=WorkCapacity.ABLE, employed=False)
    PersonFactory(household=b, relation="spouse", birth_date=dt.date(1991, 1, 1), work_capacity=WorkCapacity.ABLE,
                  employed=True)
    PersonFactory(household=b, relation="parent", birth_date=dt.date(1950, 1, 1), work_capacity=WorkCapacity.ABLE,
                  employed=False)  # 76: past working age
    PersonFactory(household=a, birth_date=dt.date(1992, 1, 1), work_capacity=WorkCapacity.ABLE, employed=False)
    assert list(queries.unemployed_able(township, today=TODAY)) == [listed]


def test_zero_employment_households_have_able_members_and_nobody_employed(township):
    zero, working, unable = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    PersonFactory(household=zero, birth_date=dt.date(1985, 1, 1), work_capacity=WorkCapacity.ABLE, employed=False)
    PersonFactory(household=working, birth_date=dt.date(1985, 2, 1), work_capacity=WorkCapacity.ABLE, employed=True)
    PersonFactory(household=working, relation="spouse", birth_date=dt.date(1986, 1, 1),
                  work_capacity=WorkCapacity.ABLE, employed=False)
    PersonFactory(household=unable, birth_date=dt.date(1985, 3, 1), work_capacity=WorkCapacity.NONE, employed=False)
    rows = list(queries.zero_employment(township, today=TODAY))
    assert rows == [zero] and rows[0].able_count == 1


# --- service providers -------------------------------------------------------------------------


def test_a_provider_serving_the_county_is_matched_to_its_villages_and_not_elsewhere(village_code, other_village_code):
    county = user_with_role(Role.COUNTY, COUNTY)
    township = Area.objects.get(code=TOWNSHIP)
    whole = actions.provider_save(actor=county, name="雷山县阳光社工站", kind=ProviderKind.SOCIAL_WORKER,
                                  services=[ServiceKind.EMOTIONAL, ServiceKind.DAILY_CARE],
                                  areas=[Area.objects.get(code=COUNTY)], owner_area=Area.objects.get(code=COUNTY))
    local = actions.provider_save(actor=county, name="西江志愿者队", kind=ProviderKind.VOLUNTEER,
                                  services=[ServiceKind.DAILY_CARE], areas=[township],
                                  owner_area=Area.objects.get(code=COUNTY))
    assert set(queries.providers_for_village(village_code)) == {whole, local}
    assert list(queries.providers_for_village(other_village_code)) == [whole]
    assert list(queries.providers_for_village(village_code, ServiceKind.EMOTIONAL)) == [whole]


def test_a_township_cannot_register_a_provider_for_areas_beyond_it():
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    with pytest.raises(ValidationError):
        actions.provider_save(actor=township, name="跨乡镇", kind=ProviderKind.CHARITY, services=[ServiceKind.DONATION],
                              areas=[Area.objects.get(code=OTHER_TOWNSHIP)], owner_area=Area.objects.get(code=TOWNSHIP))


def test_a_referral_is_matched_to_a_provider_that_serves_its_village():
    household, cadre = paired_household()
    county = user_with_role(Role.COUNTY, COUNTY)
    provider = actions.provider_save(actor=county, name="雷山县阳光社工站", kind=ProviderKind.SOCIAL_WORKER,
                                     services=[ServiceKind.DAILY_CARE], areas=[Area.objects.get(code=TOWNSHIP)],
                                     owner_area=Area.objects.get(code=COUNTY))
    far = actions.provider_save(actor=county, name="丹江社工站", kind=ProviderKind.SOCIAL_WORKER,
                                services=[ServiceKind.DAILY_CARE], areas=[Area.objects.get(code=OTHER_TOWNSHIP)],
                                owner_area=Area.objects.get(code=COUNTY))
    referral = make_referral(actor=cadre, household=household, field_code="social-participation")
    with pytest.raises(ValidationError):
        actions.referral_match_provider(actor=county, referral=referral, provider=far, now=at(2026, 3, 3))
    referral = actions.referral_match_provider(actor=county, referral=referral, provider=provider, now=at(2026, 3, 3))
    assert referral.provider == provider
    assert referral.events.filter(action="match", note="雷山县阳光社工站").exists()
