"""tests/dbreset.py, which ends every transactional test in place of Django's flush: the tables a
test wrote are empty again and the reference rows are exactly as the session began."""

import pytest

from accounts.models import Area, Department
from beneficiaries.models import Household
from tests import dbreset
from tests.factories import HouseholdFactory


@pytest.mark.django_db(transaction=True)
def test_reset_empties_what_a_test_wrote_and_puts_back_changed_reference_rows():
    village = Area.objects.filter(level="village").order_by("code").first()
    department = Department.objects.order_by("pk").first()
    HouseholdFactory(village=village)
    Area.objects.filter(pk=village.pk).update(name="测试改过的名字")
    Department.objects.filter(pk=department.pk).update(name="测试改过的部门")

    dbreset.reset()

    assert not Household.objects.exists()
    assert Area.objects.get(pk=village.pk).name == village.name
    assert Department.objects.get(pk=department.pk).name == department.name
