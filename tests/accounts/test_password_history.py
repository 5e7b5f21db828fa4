"""Issue 21: password history for every way a password is set. The seeded county accounts
(xian5226xx, written by bulk_create with a precomputed hash) had none, so after one change the
seed password could be set again."""

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.demo import DEMO_PASSWORD
from accounts.models import PasswordHistory, User

pytestmark = pytest.mark.django_db


def _change(user: User, password: str) -> None:
    validate_password(password, user)
    user.set_password(password)
    user.save()


def test_a_bulk_created_account_cannot_go_back_to_its_seed_password():
    User.objects.bulk_create([User(username="xian522601", real_name="凯里市民政局 业务员",
                                   password=make_password(DEMO_PASSWORD))])
    user = User.objects.get(username="xian522601")
    assert PasswordHistory.objects.filter(user=user).count() == 1
    _change(user, "Kaili#Winter2026")
    with pytest.raises(ValidationError) as refused:
        _change(user, DEMO_PASSWORD)
    assert refused.value.error_list[0].code == "password_reused"


def test_the_prefecture_demo_county_officers_have_a_history():
    from accounts.models import Area
    from oversight.demo import _county_officers

    officers = _county_officers(list(Area.objects.filter(level="county").order_by("code")[:2]))
    for user in officers.values():
        assert PasswordHistory.objects.filter(user=user).exists(), user.username


def test_a_password_written_by_raw_sql_is_recorded_and_an_unusable_one_is_not():
    user = User.objects.create_user(username="raw", password=None)
    assert not PasswordHistory.objects.filter(user=user).exists()  # "!…" is no password
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET password = %s WHERE id = %s", [make_password("Raw#Sql2026pw"), user.pk])
    assert PasswordHistory.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    with pytest.raises(ValidationError):
        _change(user, "Raw#Sql2026pw")


def test_a_change_through_set_password_is_recorded_once_and_trimmed_to_five():
    user = User.objects.create_user(username="often", password="First#Pass2026")
    for n in range(7):
        _change(user, f"Another#Pass{n}x2026")
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert len(set(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))) == 5
