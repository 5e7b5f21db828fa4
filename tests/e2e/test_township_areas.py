"""Journey: a township official logs in and sees exactly the villages of their township."""

import pytest

from accounts.models import Area, Role
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.e2e.conftest import open_menu
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_township_official_sees_exactly_their_villages(page, live_server, login):
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_official", real_name="西江镇 李干事")
    expected = set(Area.objects.filter(parent_id=TOWNSHIP).values_list("name", flat=True))
    other_village = Area.objects.filter(parent_id=OTHER_TOWNSHIP).first()

    login(page, "xijiang_official")
    assert page.get_by_test_id("user-menu").inner_text().strip() == "西江镇 李干事"
    open_menu(page, "区划")
    page.get_by_role("link", name="西江镇").click()
    shown = set(page.get_by_test_id("area-name").all_inner_texts())
    assert shown == expected
    assert len(shown) == 22

    # A village of another township is not found — the same answer as a page that does not exist.
    response = page.goto(f"{live_server.url}/accounts/areas/{other_village.code}/")
    assert response.status == 404
