import pytest

from beneficiaries.models import Household
from tests.factories import HouseholdFactory, PairingFactory, cadre_user
from visits.demo import seed_visits
from visits.models import Visit

pytestmark = pytest.mark.django_db


def test_demo_step_does_nothing_without_households():
    assert seed_visits() == 0


def test_demo_step_adds_visits_once_and_sets_due_dates():
    _, cadre = cadre_user("demo_cadre")
    for _ in range(12):
        PairingFactory(household=HouseholdFactory(tier="A"), cadre=cadre)
    assert seed_visits(seed=1) > 0
    count = Visit.objects.count()
    assert seed_visits(seed=1) == 0 and Visit.objects.count() == count
    assert not Household.objects.filter(next_due_on__isnull=True).exists()
