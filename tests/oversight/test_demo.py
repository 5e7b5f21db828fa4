"""The prefecture-wide demo step: every county gets households and a year of activity, once."""

import pytest

from accounts.models import Area
from beneficiaries.models import Household
from oversight.demo import seed_prefecture
from visits.models import Visit

pytestmark = pytest.mark.django_db


def test_seed_prefecture_fills_the_other_fifteen_counties_once():
    first = seed_prefecture(households=6)
    assert first["counties"] == 15 and first["households"] > 0 and first["visits"] > 0
    counties = {c[:6] for c in Household.objects.values_list("village_id", flat=True)}
    expected = {a.code[:6] for a in Area.objects.filter(level="county")} - {"522634"}
    assert counties == expected
    assert Visit.objects.exists()
    again = seed_prefecture(households=6)
    assert again == {"households": 0, "visits": 0, "counties": 0}


def test_the_demo_reviews_are_started_before_they_are_completed():
    from beneficiaries.models import QuarterlyReview

    seed_prefecture(households=6)
    done = QuarterlyReview.objects.filter(completed_at__isnull=False)
    assert done.exists()
    assert all(r.started_at < r.completed_at for r in done)
