import os
import re

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


@pytest.fixture(autouse=True)
def _system_scope_for_the_test_code(request, django_db_blocker):
    """The test's own code runs in the system scope, as a command or a task would: a request an
    earlier test made through the test client left its user's scope (accounts/rls.py, a session
    setting) on the worker's connection, and functions that honour the scope for the superuser
    too (e.g. custody's open accounts) would then see that user's rows only."""
    if not (request.node.get_closest_marker("django_db")
            or {"db", "transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    from accounts import rls

    # Always, not only when `connection.care_scope` says otherwise: a scope set inside an earlier
    # test's transaction was undone by its rollback while the attribute kept it.
    with django_db_blocker.unblock():
        rls.apply(rls.SYSTEM, "")
    yield


# --- one migration per run: workers clone a template database ---------------------------------
# Under xdist each worker would build its own test database by running every migration (half a
# minute each, three at once on two cores). Instead the first worker builds
# `test_<name>_template` once per run (under an advisory lock) and every worker copies it with
# CREATE DATABASE … TEMPLATE (a second or two); pytest-django then keeps and migrates the copy
# (nothing left to apply).


def _worker(config) -> str | None:
    return getattr(config, "workerinput", {}).get("workerid")


@pytest.fixture(scope="session")
def django_db_createdb(request) -> bool:
    if _worker(request.config):
        return False  # the worker's database was copied fresh (or kept) in django_db_modify_db_settings
    return request.config.getvalue("create_db")


@pytest.fixture(scope="session")
def django_db_keepdb(request) -> bool:
    return bool(_worker(request.config)) or request.config.getvalue("reuse_db")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request, django_db_blocker):
    worker = _worker(request.config)
    if worker:
        with django_db_blocker.unblock():
            _copy_from_template(request.config, worker)


def _copy_from_template(config, worker: str) -> None:
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    quote = connection.ops.quote_name
    test_name = connection.settings_dict["TEST"]["NAME"]  # test_care_gw0
    template = test_name.removesuffix(f"_{worker}") + "_template"
    run = re.sub(r"[^0-9a-f]", "", config.workerinput.get("testrunuid", ""))
    fresh = config.getvalue("create_db")
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        try:
            cursor.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname IN (%s, %s)", [test_name, template])
            found = dict(cursor.fetchall())
            if test_name in found and not fresh:
                return  # --reuse-db: keep the worker's database (pytest-django migrates it)
            if template not in found or (fresh and found[template] != run):
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(template)}")
                saved = connection.settings_dict["NAME"]
                connection.settings_dict["TEST"]["NAME"] = template
                try:
                    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
                finally:
                    connection.close()
                    connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = saved
                    connection.settings_dict["TEST"]["NAME"] = test_name
                # Built for this run (xdist's run id, hexadecimal): the other workers copy it as it is.
                cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS '{run}'")
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
            cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
            # A test database need not wait for its commits to reach the disk (a crash loses a
            # test run, not data): the journeys commit every request.
            cursor.execute(f"ALTER DATABASE {quote(test_name)} SET synchronous_commit = off")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every session starts from the same state, whatever an earlier run (--reuse-db) left: every
    table flushed, the reference rows loaded. tests/dbreset.py copies that state and puts it back
    after each transactional test."""
    from django.core.management import call_command

    from tests import dbreset

    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False, allow_cascade=False,
                     inhibit_post_migrate=False)
        load_reference_data()
        dbreset.snapshot()


def flush_test_database() -> None:
    """Empty every table as a transactional test's teardown does, keeping the reference rows."""
    from tests import dbreset

    dbreset.reset()


def _fixture_teardown(self):
    """TransactionTestCase's teardown (every transactional test's, under pytest-django): the
    default database reset by tests/dbreset.py instead of Django's flush."""
    from django.db import DEFAULT_DB_ALIAS

    from tests import dbreset

    for alias in self._databases_names(include_mirrors=False):
        if alias != DEFAULT_DB_ALIAS:
            raise NotImplementedError(f"tests/dbreset.py resets the default database only, not {alias!r}")
        dbreset.reset()


def pytest_configure(config):
    from django.test.testcases import TransactionTestCase

    TransactionTestCase._fixture_teardown = _fixture_teardown


def load_reference_data() -> None:
    from accounts.actions import areas_load
    from accounts.models import Area

    if not Area.objects.exists():
        areas_load()
    for loader in REFERENCE_LOADERS:
        loader()


# Other apps append idempotent loaders of their own reference data (e.g. departments).
REFERENCE_LOADERS: list = []


def _services_reference() -> None:
    from services.reference import reference_load

    reference_load()


REFERENCE_LOADERS.append(_services_reference)


def _holiday_tables() -> None:
    from services.holidays import seed_from_chinesecalendar

    seed_from_chinesecalendar()


REFERENCE_LOADERS.append(_holiday_tables)
# --- second factor in test logins ------------------------------------------------------------
# `client.login()` / `client.force_login()` stand for a completed sign-in, so for the roles that
# must pass the second factor at sign-in they also mark the session as having passed it (with a
# TOTP device made for the user), as the real login plus accounts/2fa/verify/ would. Tests of the second factor itself take the marker
# `password_only` and get a session that has passed the password only.


@pytest.fixture(autouse=True)
def _test_logins_pass_the_second_factor(request, monkeypatch):
    if request.node.get_closest_marker("password_only"):
        yield
        return
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY

        from accounts.otp import requires_second_factor

        if not requires_second_factor(user):
            return  # others pass it only as a step-up before a full-ID reveal or export
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
            TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "_login", _login)
    yield
