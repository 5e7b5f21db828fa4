import pytest
from django.db.models import Count

from accounts import demo as accounts_demo
from beneficiaries.demo import seed_roster
from beneficiaries.models import Household, Pairing, Person

pytestmark = pytest.mark.django_db


def test_the_demo_roster_has_a_tier_mix_pairs_ganbu_and_is_idempotent():
    accounts_demo.seed_users()
    assert seed_roster(households=120, seed=7)["households"] == 120
    tiers = dict(Household.objects.values_list("tier").annotate(n=Count("id")))
    assert all(tiers.get(t, 0) > 0 for t in "ABC")
    assert Person.objects.count() >= 120
    village = accounts_demo.demo_village()
    ganbu = Pairing.objects.filter(cadre__user__username="ganbu", ended_on__isnull=True)
    assert ganbu.count() == 6 and {p.household.village_id for p in ganbu} == {village.code}
    assert seed_roster(households=120, seed=7)["households"] == 0
    assert seed_roster(households=130, seed=7)["households"] == 10
    assert Household.objects.count() == 130
