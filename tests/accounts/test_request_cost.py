"""Per-request cost (issue 25): a read-only GET writes nothing to the database, the user's roles
are read once per request, the menu is built once per role set, and the desk reads its areas once."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import LAST_SEEN_KEY, LAST_SEEN_REFRESH_SECONDS
from accounts.models import Role
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import PairingFactory, PersonFactory, cadre_user, user_with_role

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
PREFECTURE = "522600000000"


@pytest.fixture
def people(db):
    cadre, cadre_row = cadre_user("cadre_rc")
    household = PersonFactory().household
    PairingFactory(household=household, cadre=cadre_row)
    return {
        "cadre": cadre,
        "township": user_with_role(Role.TOWNSHIP, TOWNSHIP),
        "county": user_with_role(Role.COUNTY, COUNTY),
        "prefecture": user_with_role(Role.PREFECTURE, PREFECTURE),
        "household": household,
    }


def _pages(people) -> list[tuple[str, str]]:
    """(role, url) of read-only pages. A household's page is among them: viewing personal data is
    audited (STYLE.md), so its one write is that audit row and nothing else."""
    household = people["household"].pk
    return [
        ("cadre", reverse("visits:mine")),
        ("cadre", reverse("visits:household", args=[household])),
        ("cadre", reverse("visits:inbox")),
        ("township", reverse("visits:desk")),
        ("township", reverse("beneficiaries:cadre_list")),
        ("county", reverse("visits:desk")),
        ("county", reverse("oversight:dashboard", args=[COUNTY])),
        ("prefecture", reverse("visits:desk")),
        ("prefecture", reverse("home")),
    ]


def _get(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, [q["sql"] for q in ctx.captured_queries]


def test_read_only_gets_write_nothing_and_read_roles_once(client, people):
    for role, url in _pages(people):
        client.force_login(people[role])
        assert client.get(url).status_code == 200  # first request: stamps last-seen (a write)
        status, queries = _get(client, url)
        assert status == 200, url
        writes = [q for q in queries if WRITE.match(q) and not q.startswith('INSERT INTO "accounts_auditevent"')]
        assert writes == [], f"{role} {url} wrote: {writes}"
        audits = len(queries) - len([q for q in queries if not q.startswith('INSERT INTO "accounts_auditevent"')])
        assert audits == (1 if "/households/" in url else 0), url
        role_reads = [q for q in queries if 'FROM "accounts_roleassignment"' in q]
        assert len(role_reads) == 1, f"{role} {url} read the roles {len(role_reads)} times"
        client.logout()


def test_last_seen_is_refreshed_once_a_minute_and_the_idle_timeout_still_applies(client, people):
    client.force_login(people["cadre"])
    url = reverse("visits:mine")
    client.get(url)
    first = client.session[LAST_SEEN_KEY]
    client.get(url)
    assert client.session[LAST_SEEN_KEY] == first  # within the minute: not written back

    session = client.session
    session[LAST_SEEN_KEY] = time.time() - LAST_SEEN_REFRESH_SECONDS - 1
    session.save()
    status, queries = _get(client, url)
    assert status == 200
    assert any(WRITE.match(q) and "django_session" in q for q in queries)  # stale: refreshed
    assert client.session[LAST_SEEN_KEY] > first

    session = client.session
    session[LAST_SEEN_KEY] = 0  # idle far longer than SESSION_IDLE_TIMEOUT_SECONDS
    session.save()
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_desk_reads_its_download_areas_once(client, people):
    client.force_login(people["county"])
    client.get(reverse("visits:desk"))
    status, queries = _get(client, reverse("visits:desk"))
    assert status == 200
    area_lists = [q for q in queries if 'FROM "accounts_area"' in q and "IN ('county', 'township')" in q]
    assert len(area_lists) == 1, area_lists


def test_production_templates_use_the_cached_loader(settings):
    settings.DEBUG = False
    engine = engines["django"].engine
    loaders = [type(loader).__module__ for loader in engine.template_loaders]
    assert loaders == ["django.template.loaders.cached"]


def test_the_menu_is_built_once_per_role_set(people):
    from accounts import navigation

    navigation._menu.cache_clear()
    cadre_menu = navigation.items_for(people["cadre"])
    other_cadre, _row = cadre_user("cadre_rc2")
    assert navigation.items_for(other_cadre) is cadre_menu
    assert navigation._menu.cache_info().hits == 1
    county_menu = navigation.items_for(people["county"])
    assert county_menu != cadre_menu
    assert {"label": "我的结对户", "url": reverse("visits:mine")} in cadre_menu
    assert all(entry.get("url") != reverse("visits:mine") for entry in county_menu)


def test_a_request_reads_its_session_from_the_cache(client, people):
    client.force_login(people["township"])
    client.get(reverse("visits:desk"))
    status, queries = _get(client, reverse("visits:desk"))
    assert status == 200
    assert not [q for q in queries if "django_session" in q]
