import datetime as dt

import pytest

from accounts.models import Role
from beneficiaries.models import Classification
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role

TOWNSHIP = "522634101000"
OTHER_TOWNSHIP = "522634100000"
COUNTY = "522634000000"


@pytest.fixture
def paired(db):
    """A tier-A household paired since 2026-05-01 with a cadre who has a login."""
    user, cadre = cadre_user("cadre_zhang")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    Classification.objects.create(household=household, tier="A", criteria=["A1"], effective_on=dt.date(2026, 1, 1))
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 5, 1))
    return household, user


@pytest.fixture
def township_user(db):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang")


@pytest.fixture
def other_township_user(db):
    return user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="danjiang")


@pytest.fixture
def county_user(db):
    return user_with_role(Role.COUNTY, COUNTY, username="leishan")
