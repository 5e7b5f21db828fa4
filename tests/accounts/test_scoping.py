"""The one access rule, with the three users every permission test has: the owner (township
official of 西江镇), a colleague in scope (the county official of 雷山县) and an outsider
(the township official of 丹江镇), who gets a 404."""

import pytest
from django.urls import reverse

from accounts.models import Area, Role
from accounts.scoping import area_prefixes, get_object_for_user, scope_queryset
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import user_with_role


@pytest.fixture
def owner(db):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="owner")


@pytest.fixture
def colleague(db):
    return user_with_role(Role.COUNTY, COUNTY, username="colleague")


@pytest.fixture
def outsider(db):
    return user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="outsider")


def test_township_official_sees_exactly_their_township_and_its_villages(owner):
    visible = scope_queryset(owner, Area.objects.all())
    assert visible.filter(level="village").count() == 22
    assert set(visible.values_list("level", flat=True)) == {"township", "village"}
    assert all(code.startswith("522634101") for code in visible.values_list("code", flat=True))


def test_county_prefix_covers_a_township_role_of_the_same_user(colleague):
    from accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=colleague, role=Role.TOWNSHIP, area=Area.objects.get(code=TOWNSHIP))
    assert area_prefixes(colleague) == ["522634"]


@pytest.mark.parametrize("who,expected", [("owner", 200), ("colleague", 200), ("outsider", 404)])
def test_area_page_is_404_outside_scope(client, request, who, expected, village_code):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("accounts:area_detail", args=[village_code]))
    assert response.status_code == expected


def test_out_of_scope_and_nonexistent_rows_answer_the_same_404(client, outsider, village_code):
    client.force_login(outsider)
    hidden = client.get(reverse("accounts:area_detail", args=[village_code]))
    missing = client.get(reverse("accounts:area_detail", args=["999999999999"]))
    assert hidden.status_code == missing.status_code == 404


def test_get_object_for_user_raises_404_outside_scope(outsider, village_code):
    from django.http import Http404

    with pytest.raises(Http404):
        get_object_for_user(outsider, Area, code=village_code)


def test_a_user_without_roles_sees_nothing(db):
    from tests.factories import UserFactory

    assert not scope_queryset(UserFactory(), Area.objects.all()).exists()


def test_anonymous_sees_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert not scope_queryset(AnonymousUser(), Area.objects.all()).exists()


def test_area_browser_lists_only_the_users_villages(client, owner):
    client.force_login(owner)
    response = client.get(reverse("accounts:area_detail", args=[TOWNSHIP]))
    assert response.status_code == 200
    names = [a.name for a in response.context["children"]]
    assert len(names) == 22
    assert "西江社区居民委员会" in names
    # The county above is not linked for a township official.
    assert response.context["trail"] == []


def test_admin_lists_are_scoped_like_the_site(client, owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    owner.user_permissions.add(Permission.objects.get(codename="view_area"))
    client.force_login(owner)
    response = client.get(reverse("admin:accounts_area_changelist") + "?level__exact=village")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 22
    other = Area.objects.filter(parent_id=OTHER_TOWNSHIP).first()
    assert client.get(reverse("admin:accounts_area_change", args=[other.code])).status_code in (302, 404)


def test_the_404_page_is_in_chinese_and_does_not_say_whether_the_row_exists(client, outsider, village_code):
    client.force_login(outsider)
    response = client.get(reverse("accounts:area_detail", args=[village_code]))
    assert "未找到该页面或记录" in response.content.decode()
