"""The data migrations keep every row — in one trip through history and back.

An existing database is migrated back to before the earliest data migration under test and
forward again, with rows written at each historical state the way an old deployment held them:

- beneficiaries 0004 encrypts plaintext ID numbers (and decrypts them when migrated back);
- accounts 0004 / visits 0004 move the notification inbox from visits to accounts (rows and the
  id sequence carried over);
- accounts 0006 moves Department and Agency into accounts (rows, content types, permissions).

One trip instead of one (or two) per migration: Django renders every intermediate state on the
way back and forth, which costs a minute a trip. Each migration commits on its own, as in a
deployment (a data migration's updates would otherwise leave trigger events pending that the next
ALTER TABLE refuses), so the test is transactional."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import crypto
from accounts.models import Agency, Notification
from accounts.notifications import notify
from beneficiaries.models import Person
from tests.conftest import COUNTY
from tests.factories import HouseholdFactory, PersonFactory, UserFactory, id_number_for

# Before all three data migrations: the ID numbers in plain text, the inbox in visits.
EARLIEST = [
    ("accounts", "0003_drop_redundant_prefix_index"),
    ("visits", "0003_visit_capture_checklist_position"),
    ("beneficiaries", "0003_quarterly_review"),
]
# After the first two, before Department and Agency moved into accounts.
BEFORE_THE_MOVE = [
    ("accounts", "0005_merge_notifications_password_history"),
    ("beneficiaries", "0004_encrypt_id_numbers"),
    ("exchange", "0001_api_tokens_cross_checks_proposals"),
    ("services", "0006_seed_holiday_tables_from_chinesecalendar"),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _one(sql: str, params) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_an_existing_database_keeps_its_rows_back_through_history_and_forward_again():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # Written at the latest state: an encrypted ID number, which going back must decrypt.
    kept_number = id_number_for(7)
    kept = PersonFactory(id_number=kept_number)
    user = UserFactory()
    household = HouseholdFactory()
    try:
        executor = _migrate(EARLIEST)
        assert _one("SELECT id_number FROM beneficiaries_person WHERE id = %s", [kept.pk])[0] == kept_number, \
            "migrated back, beneficiaries 0004 decrypts the ID number to plain text"

        # As an old deployment held them: a person with a plain ID number, a message in visits' inbox.
        old_apps = executor.loader.project_state(EARLIEST).apps
        village = old_apps.get_model("accounts", "Area").objects.filter(level="village").order_by("code").first()
        old_household = old_apps.get_model("beneficiaries", "Household").objects.create(
            code="MIG1", village=village, tier="", criteria=[])
        plain_number = id_number_for(5)
        old_apps.get_model("beneficiaries", "Person").objects.create(
            household=old_household, name="旧数据", id_number=plain_number, birth_date="1950-01-01", sex="M",
            relation="head")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO visits_notification (recipient_id, key, title, household_id, url, created_at) "
                           "VALUES (%s, 'old:1', '迁移前的消息', %s, '', now())", [user.pk, household.pk])

        # Before the move: a group given a permission on departments, an agency in beneficiaries.
        _migrate(BEFORE_THE_MOVE)
        ContentType.objects.clear_cache()
        old_type = ContentType.objects.get(app_label="services", model="department")
        group = Group.objects.create(name="部门维护")
        group.permissions.add(Permission.objects.get(content_type=old_type, codename="change_department"))
        agency_pk = _one("INSERT INTO beneficiaries_agency (name, county_id, phone) VALUES ('迁移前的机构', %s, '') "
                         "RETURNING id", [COUNTY])[0]

        _migrate(latest)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()

    # beneficiaries 0004, forwards: encrypted with the key id, found by the blind index.
    for number, person in ((plain_number, Person.objects.get(household__code="MIG1")),
                           (kept_number, Person.objects.get(pk=kept.pk))):
        stored, index = _one("SELECT id_number_encrypted, id_number_index FROM beneficiaries_person WHERE id = %s",
                             [person.pk])
        assert stored.startswith("v1:dev1:") and number not in stored
        assert index == crypto.blind_index(number)
        assert person.id_number == number and Person.objects.get(id_number=number) == person

    # accounts 0004: the inbox moved with its rows and its id sequence.
    note = Notification.objects.get(key="old:1")
    assert (note.recipient_id, note.household_id, note.title, note.channels) == \
        (user.pk, household.pk, "迁移前的消息", [])
    assert notify([user], key="new:1", title="迁移后") != []

    # accounts 0006: the content type, the group's permission and the agency's row and sequence.
    moved = ContentType.objects.get(pk=old_type.pk)
    assert (moved.app_label, moved.model) == ("accounts", "department")
    assert not ContentType.objects.filter(app_label="services", model="department").exists()
    assert group.permissions.get().content_type_id == old_type.pk
    assert Agency.objects.get(pk=agency_pk).name == "迁移前的机构"
    assert Agency.objects.create(name="迁移后的机构", county_id=COUNTY).pk > agency_pk
