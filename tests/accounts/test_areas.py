import pytest
from django.core.management import call_command

from accounts.models import Area, AreaLevel


@pytest.mark.django_db
def test_the_whole_prefecture_is_loaded_by_migration():
    counts = {level: Area.objects.filter(level=level).count() for level in AreaLevel.values}
    assert counts == {"prefecture": 1, "county": 16, "township": 217, "village": 2438}
    assert Area.objects.count() == 2672


@pytest.mark.django_db
def test_load_areas_is_idempotent():
    call_command("load_areas")
    call_command("load_areas")
    assert Area.objects.count() == 2672


@pytest.mark.django_db
def test_descendants_are_found_by_code_prefix():
    xijiang = Area.objects.get(code="522634101000")
    villages = xijiang.descendants()
    assert villages.count() == 22
    assert all(v.parent_id == xijiang.code for v in villages)
    leishan = Area.objects.get(code="522634000000")
    assert leishan.prefix == "522634"
    assert leishan.descendants().filter(level="township").count() == 9


@pytest.mark.django_db
def test_parents_link_each_level_to_the_one_above():
    village = Area.objects.filter(level="village", code__startswith="522634101").first()
    assert village.parent.level == "township"
    assert village.parent.parent.level == "county"
    assert village.parent.parent.parent.level == "prefecture"
    assert [a.level for a in village.ancestors()] == ["prefecture", "county", "township"]


@pytest.mark.django_db
def test_short_name_drops_the_committee_suffix():
    assert Area(code="522634100200", name="西门村村民委员会", level="village").short_name == "西门村"
    assert Area(code="522634100003", name="南门社区居民委员会", level="village").short_name == "南门社区"
