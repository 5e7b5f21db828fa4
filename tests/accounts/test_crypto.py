"""ID numbers at rest: AES-GCM with a key id, a keyed HMAC blind index, the data migration and
key rotation (accounts/crypto.py, beneficiaries migration 0004, manage.py rotate_field_keys)."""

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from accounts import crypto
from beneficiaries.models import Household, Person
from tests.factories import PersonFactory

AAD = "beneficiaries.person.id_number"
KEY1 = "dev1:GLHqrG6IGDywytkmqwpwa1XdL0RdKJkxaXFMdOYhENw="
KEY2 = "dev2:GdOj2+SKmeeRDMxlJln5Y74yf8Ng2LHLpSFDQqwMu5Q="


def _raw(person: Person) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_encrypted, id_number_index FROM beneficiaries_person WHERE id = %s", [person.pk])
        return cursor.fetchone()


def test_round_trip_and_tampering_is_detected():
    token = crypto.encrypt("522634195001011231", aad=AAD)
    assert token.startswith("v1:dev1:") and "522634" not in token
    assert crypto.decrypt(token, aad=AAD) == "522634195001011231"
    assert crypto.encrypt("522634195001011231", aad=AAD) != token  # a fresh nonce every time
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, aad="custody.caregiver.id_number")  # copied into another column
    body = token.split(":", 2)[2]
    flipped = token[: -len(body)] + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(flipped, aad=AAD)


@pytest.mark.django_db
def test_the_database_holds_no_id_number_and_search_uses_the_blind_index():
    person = PersonFactory()
    number = person.id_number
    stored, index = _raw(person)
    assert number not in stored and stored.startswith("v1:dev1:")
    assert index == crypto.blind_index(number) and number not in index
    assert Person.objects.get(pk=person.pk).id_number == number
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert list(Person.objects.filter(id_number=spaced)) == [person]
    assert list(Person.objects.filter(id_number__in=[number, "x"])) == [person]
    assert Household.objects.filter(members__id_number=number).get() == person.household
    assert list(Person.objects.values_list("id_number", flat=True).filter(pk=person.pk)) == [number]
    with pytest.raises(FieldError):
        Person.objects.filter(id_number__startswith="5226").count()  # ciphertexts are not comparable


@pytest.mark.django_db
def test_the_blind_index_holds_uniqueness():
    person = PersonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(id_number=person.id_number.lower(), relation="child", household=person.household)


@pytest.mark.django_db
def test_rotation_reencrypts_every_row_to_the_new_key_and_old_rows_stay_readable(capsys):
    old = [PersonFactory() for _ in range(3)]
    numbers = {p.pk: p.id_number for p in old}
    with override_settings(FIELD_KEYS=f"{KEY1},{KEY2}", FIELD_KEY_ID="dev2"):
        # Before rotation: rows under dev1 still open; new rows are written under dev2.
        assert {p.pk: p.id_number for p in Person.objects.filter(pk__in=numbers)} == numbers
        new = PersonFactory()
        assert _raw(new)[0].startswith("v1:dev2:")
        assert all(_raw(p)[0].startswith("v1:dev1:") for p in old)
        call_command("rotate_field_keys")
        assert "Rows not under the current key: 0" in capsys.readouterr().out
        assert all(_raw(p)[0].startswith("v1:dev2:") for p in [*old, new])
    # The old key can now be removed: everything opens with dev2 alone.
    with override_settings(FIELD_KEYS=KEY2, FIELD_KEY_ID="dev2"):
        assert {p.pk: p.id_number for p in Person.objects.filter(pk__in=numbers)} == numbers
        assert Person.objects.get(id_number=numbers[old[0].pk]) == old[0]
    # … and dev1 alone no longer opens them: the rotation really rewrote the rows.
    with override_settings(FIELD_KEYS=KEY1, FIELD_KEY_ID="dev1"), pytest.raises(crypto.DecryptionError):
        Person.objects.get(pk=old[0].pk)


@pytest.mark.django_db
def test_a_new_blind_index_key_is_applied_by_reindexing():
    person = PersonFactory()
    new_index_key = "Q0FSRS1uZXctYmxpbmQtaW5kZXgta2V5LTMyYnl0ZXM="
    with override_settings(BLIND_INDEX_KEY=new_index_key):
        assert not Person.objects.filter(id_number=person.id_number).exists()
        call_command("rotate_field_keys", "--reindex")
        assert Person.objects.get(id_number=person.id_number) == person


def test_missing_or_bad_keys_stop_with_a_clear_error():
    from django.core.exceptions import ImproperlyConfigured

    for bad in ({"FIELD_KEYS": ""}, {"FIELD_KEY_ID": "nope"}, {"BLIND_INDEX_KEY": "c2hvcnQ="},
                {"BLIND_INDEX_KEY": KEY1.split(":", 1)[1]}):
        with override_settings(**bad), pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x", aad=AAD)
    crypto.keyring.cache_clear()


@pytest.mark.django_db
def test_custodian_and_caregiver_id_numbers_are_encrypted_too(village_code):
    from custody.models import Caregiver, Custodian
    from tests.custody.factories import open_account

    account = open_account(village_code)
    for model in (Custodian, Caregiver):
        row = model.objects.get(account=account)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id_number_encrypted FROM {model._meta.db_table} WHERE id = %s", [row.pk])
            stored = cursor.fetchone()[0]
        assert stored.startswith("v1:dev1:") and row.id_number not in stored
        assert model.objects.get(id_number=row.id_number) == row


def test_missing_keys_fail_the_system_check_but_not_collectstatic(settings):
    """Production without the keys: migrate, runserver and check --deploy stop with accounts.E001;
    collectstatic (static-files checks only) still builds the assets."""
    from django.core import checks

    from accounts.checks import field_keys_configured

    assert field_keys_configured(None) == []
    settings.FIELD_KEYS = ""
    errors = field_keys_configured(None)
    assert [e.id for e in errors] == ["accounts.E001"] and "FIELD_KEYS" in errors[0].msg
    assert "accounts.E001" not in [m.id for m in checks.run_checks(tags=[checks.Tags.staticfiles])]
