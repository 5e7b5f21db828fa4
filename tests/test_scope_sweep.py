"""Scope before role: for every URL pattern with an id, a user of another county — whatever the
role — gets 404 (the same answer as for a row that does not exist), never 403 or the page."""

import pytest
from django.apps import apps
from django.db.models import Min
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.models import Area, Role
from tests.factories import user_with_role
from tests.urlwalk import url_patterns

OTHER_COUNTY = "522601000000"  # 凯里市; the demo data lives in 雷山县
PROJECT_APPS = ("accounts", "beneficiaries", "visits", "custody", "services", "oversight", "assistance", "campaigns")
# The departments' API answers a session user 401 (it takes tokens only); tests/exchange sweeps it
# token by token.
SKIP_NAMESPACES = ("api:",)
# Routes whose integer is not a row id: a holiday table is named by its year and is the
# prefecture's, readable by every county.
NOT_ROW_IDS = {"services:holiday_year"}


def align_sequences(models) -> None:
    """Move every model's id sequence to one common value, so the demo's first row of every kind
    gets the same id: one id then meets a row that exists on every route (instead of sweeping every
    route with every model's first id). Sequences only move forward, so no other test can collide."""
    from django.db import connection

    tables = [(m._meta.db_table, m._meta.pk.column) for m in models]
    with connection.cursor() as cursor:
        sequences = []
        for table, column in tables:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            name = cursor.fetchone()[0]
            if name:
                sequences.append(name)
        cursor.execute("SELECT max(last_value) FROM pg_sequences WHERE schemaname || '.' || sequencename = ANY(%s)"
                       " OR sequencename = ANY(%s)", [sequences, sequences])
        start = (cursor.fetchone()[0] or 0) + 1000
        for name in sequences:
            cursor.execute("SELECT setval(%s, %s, false)", [name, start])


def demo_data() -> list[int]:
    """The demo seeding of every app, in a few households (inside the test's transaction); returns
    the first pk of every model, so each id route meets a row that exists (and rows of other kinds).
    With the sequences aligned these are one id for every kind the demo creates, plus the ids of
    rows that migrations created."""
    from accounts import demo as accounts_demo
    from config.demo import DEMO_STEPS

    models = [model for model in apps.get_models()
              if model._meta.app_label in PROJECT_APPS
              and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")]
    align_sequences(models)
    accounts_demo.seed_users()
    for path in DEMO_STEPS:
        if path.endswith(".seed_prefecture"):
            continue  # the other fifteen counties' demo would put rows in the outsiders' own county
        import_string(path)(households=12, seed=7, stdout=None)
    pks = set()
    for model in models:
        first = model.objects.aggregate(lo=Min("pk"))["lo"]
        if first is not None:
            pks.add(first)
    return sorted(pks)


def outsiders():
    township = Area.objects.filter(parent_id=OTHER_COUNTY, level="township").order_by("code").first()
    village = Area.objects.filter(parent=township, level="village").order_by("code").first()
    from accounts.models import Department

    users = [
        user_with_role(Role.COUNTY, OTHER_COUNTY),
        user_with_role(Role.TOWNSHIP, township.code),
        user_with_role(Role.VILLAGE_COMMITTEE, village.code),
        user_with_role(Role.FINANCIAL_SUPERVISOR, OTHER_COUNTY),
        user_with_role(Role.DEPARTMENT, department=Department.objects.order_by("code").last()),
    ]
    from tests.factories import cadre_user

    users.append(cadre_user("outsider_cadre")[0])
    return users


@pytest.mark.django_db
def test_out_of_scope_is_404_on_every_id_route_for_every_role(client):
    pks = demo_data()
    routes = [(name, conv) for name, _route, conv in url_patterns()
              if conv and all(type(c).__name__ == "IntConverter" for c in conv.values())
              and not name.startswith(SKIP_NAMESPACES) and name not in NOT_ROW_IDS]
    assert len(routes) > 20
    wrong = []
    for user in outsiders():
        client.force_login(user)
        for name, conv in routes:
            for pk in pks:
                url = reverse(name, kwargs=dict.fromkeys(conv, pk))
                for method in ("get", "post"):
                    status = getattr(client, method)(url).status_code
                    if status not in (404, 405):
                        wrong.append(f"{user.roles.get().role} {method.upper()} {name} → {status}")
    assert not wrong, "\n".join(sorted(set(wrong))) + f"\n… {len(wrong)} in all"


@pytest.mark.django_db
def test_a_township_user_sees_a_county_owned_provider_but_gets_no_edit_form(client):
    from services import actions
    from services.models import ProviderKind, ServiceKind
    from tests.conftest import COUNTY, TOWNSHIP

    county = user_with_role(Role.COUNTY, COUNTY)
    provider = actions.provider_save(actor=county, name="雷山县阳光社工站", kind=ProviderKind.SOCIAL_WORKER,
                                     services=[ServiceKind.DAILY_CARE], areas=[Area.objects.get(code=TOWNSHIP)],
                                     owner_area=Area.objects.get(code=COUNTY))
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    assert "雷山县阳光社工站" in client.get(reverse("services:providers")).content.decode()
    url = reverse("services:provider_edit", args=[provider.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "改名"}).status_code == 404
    client.force_login(county)
    assert client.get(url).status_code == 200
