import pytest

from accounts.scoping import scope_queryset
from beneficiaries.idnumber import parse
from beneficiaries.models import Household
from tests.factories import PairingFactory, PersonFactory, cadre_user


@pytest.mark.django_db
def test_person_factory_makes_valid_distinct_id_numbers():
    people = PersonFactory.create_batch(5)
    numbers = {p.id_number for p in people}
    assert len(numbers) == 5
    for p in people:
        assert parse(p.id_number).birth_date == p.birth_date


@pytest.mark.django_db
def test_a_cadre_sees_only_households_paired_to_them():
    user, cadre = cadre_user("c1")
    mine = PairingFactory(cadre=cadre).household
    PairingFactory()  # someone else's household in the same village
    ended = PairingFactory(cadre=cadre, ended_on="2026-02-01").household
    visible = scope_queryset(user, Household.objects.all())
    assert list(visible) == [mine]
    assert ended not in visible
