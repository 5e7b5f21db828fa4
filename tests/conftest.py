import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check
# would otherwise refuse the ORM calls made by fixtures in the same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Real areas used across the suite (雷山县).
COUNTY = "522634000000"  # 雷山县
TOWNSHIP = "522634101000"  # 西江镇
OTHER_TOWNSHIP = "522634100000"  # 丹江镇
OTHER_COUNTY = "522601000000"  # 凯里市


@pytest.fixture
def village_code(db) -> str:
    from accounts.models import Area

    return Area.objects.filter(parent_id=TOWNSHIP).order_by("code").values_list("code", flat=True).first()


@pytest.fixture
def other_village_code(db) -> str:
    from accounts.models import Area

    return Area.objects.filter(parent_id=OTHER_TOWNSHIP).order_by("code").values_list("code", flat=True).first()
