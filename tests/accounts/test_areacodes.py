"""Area-code arithmetic: Python and SQL forms agree."""

import pytest

from accounts import areacodes
from accounts.areacodes import AncestorCode
from accounts.models import Area


def test_level_and_prefix_of_each_kind_of_code():
    assert areacodes.level_of("522600000000") == "prefecture"
    assert areacodes.level_of("522634000000") == "county"
    assert areacodes.level_of("522634101000") == "township"
    assert areacodes.level_of("522634101001") == "village"
    assert areacodes.prefix_of("522634101000") == "522634101"
    assert areacodes.PREFECTURE_PREFIX == "5226"


def test_ancestors_are_listed_prefecture_first():
    assert areacodes.ancestor_codes("522634101001") == ["522600000000", "522634000000", "522634101000", "522634101001"]
    assert areacodes.ancestor_codes("522634101000", include_self=False) == ["522600000000", "522634000000"]
    assert areacodes.county_of("522634101001") == "522634000000"
    assert areacodes.township_of("522634101001") == "522634101000"


def test_like_pattern_and_sql_form():
    assert areacodes.like("522634") == "522634%"
    assert areacodes.ancestor_sql("h.village_id", "county") == "rpad(left(h.village_id, 6), 12, '0')"


@pytest.mark.django_db
def test_orm_ancestor_code_matches_the_python_one():
    village = Area.objects.filter(level="village", code__startswith="522634101").order_by("code").first()
    row = Area.objects.filter(pk=village.pk).annotate(
        county=AncestorCode("code", "county"), township=AncestorCode("code", "township")
    ).values("county", "township").get()
    assert row == {"county": areacodes.county_of(village.code), "township": areacodes.township_of(village.code)}
    assert [a.code for a in village.ancestors()] == areacodes.ancestor_codes(village.code, include_self=False)
