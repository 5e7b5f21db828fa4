import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Role
from tests.conftest import TOWNSHIP
from tests.factories import PASSWORD, user_with_role


@pytest.fixture
def official(db):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="official")


def test_login_page_is_in_chinese(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "用户名" in content and "密码" in content and "登录" in content
    assert 'lang="zh-hans"' in content


def test_login_is_audited(client, official):
    response = client.post(reverse("accounts:login"), {"username": "official", "password": PASSWORD})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == official
    assert event.ip == "127.0.0.1"


def test_five_failures_lock_the_account_for_fifteen_minutes(client, official):
    url = reverse("accounts:login")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            client.post(url, {"username": "official", "password": "wrong-password-x"})
        locked = client.post(url, {"username": "official", "password": PASSWORD})
        assert locked.status_code == 429
        assert "锁定" in locked.content.decode()
        traveller.shift(timedelta(minutes=14))
        assert client.post(url, {"username": "official", "password": PASSWORD}).status_code == 429
        traveller.shift(timedelta(minutes=2))
        assert client.post(url, {"username": "official", "password": PASSWORD}).status_code == 302


def test_wrong_password_shows_a_chinese_message(client, official):
    response = client.post(reverse("accounts:login"), {"username": "official", "password": "nope-nope-nope"})
    assert "用户名或密码不正确" in response.content.decode()


def test_idle_session_expires_after_thirty_minutes(client, official):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(official)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200  # activity renews the clock
        traveller.shift(timedelta(minutes=31))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        # and the session is really gone
        assert client.get(reverse("home")).status_code == 302


def test_authenticated_pages_are_not_cached(client, official):
    client.force_login(official)
    assert client.get(reverse("home"))["Cache-Control"] == "no-store"


def test_pages_require_login(client, db):
    response = client.get(reverse("accounts:area_browser"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_password_validators_refuse_short_and_common_passwords(client, official):
    client.force_login(official)
    url = reverse("accounts:password_change")
    short = client.post(url, {"old_password": PASSWORD, "new_password1": "Ab1!short", "new_password2": "Ab1!short"})
    assert short.status_code == 200
    assert short.context["form"].errors["new_password2"]
    common = client.post(url, {"old_password": PASSWORD, "new_password1": "password1234", "new_password2": "password1234"})
    assert common.context["form"].errors["new_password2"]
    good = client.post(url, {"old_password": PASSWORD, "new_password1": "Miao-Dong-2026-ok", "new_password2": "Miao-Dong-2026-ok"})
    assert good.status_code == 302


def test_audit_rows_cannot_be_changed_or_deleted(official):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    event = AuditEvent.objects.create(actor=official, action=AuditAction.VIEW, object_repr="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "x"


REQUIRED = {
    "SECRET_KEY": "x" * 60,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/care",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "care.example.org",
    "FIELD_KEYS": "k1:" + "A" * 43 + "=",
    "FIELD_KEY_ID": "k1",
    "BLIND_INDEX_KEY": "B" * 43 + "=",
}


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_settings_refuse_to_start_without_required_variables(missing):
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    env.update({k: v for k, v in REQUIRED.items() if k != missing})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    # The ID-number keys are not needed to build static files, but the web server (config.wsgi)
    # refuses to boot without them; every other variable stops the settings themselves.
    start = "import config.wsgi" if missing in KEYS else "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", start], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert missing in result.stderr


KEYS = {"FIELD_KEYS", "FIELD_KEY_ID", "BLIND_INDEX_KEY"}


def test_production_settings_start_with_all_required_variables():
    env = {**os.environ, **REQUIRED, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
