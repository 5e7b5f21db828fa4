"""The application role owns nothing and may only append to ledgers and audit (docs/security.md,
部署与数据库角色). The suite runs as the owner; these tests open a second connection as care_app."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from accounts import dbroles
from accounts.actions import audit_record
from accounts.models import AuditAction
from custody.models import CustodyAccount
from tests.custody.factories import deposit, open_account

pytestmark = pytest.mark.django_db(transaction=True)

APPEND_ONLY = {"accounts_auditevent", "beneficiaries_classification", "custody_ledgercheck", "custody_ledgerentry",
               "services_referralevent", "visits_findingevent"}


@pytest.fixture
def app_db():
    """A psycopg connection to the test database as the application role, after db_roles."""
    import psycopg

    call_command("db_roles")
    s = connection.settings_dict
    conn = psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None, dbname=s["NAME"],
                           user=settings.DB_APP_ROLE, autocommit=True)
    # These tests are about privileges, not rows: the system scope of a task (accounts/rls.py),
    # without which row-level security would hide every protected row from this connection.
    conn.execute("SELECT set_config('care.scope', '*', false)")
    yield conn
    conn.close()


def refused(conn, statement: str) -> str:
    import psycopg

    with pytest.raises(psycopg.Error) as exc:
        conn.execute(statement)
    return exc.value.sqlstate


def test_the_append_only_tables_are_found_by_their_trigger():
    assert APPEND_ONLY <= set(dbroles.append_only_tables(connection))


def test_the_app_role_cannot_truncate_alter_disable_triggers_or_replicate(app_db, village_code):
    account = open_account(village_code)
    deposit(account, 5000)
    for table in APPEND_ONLY:
        assert refused(app_db, f"TRUNCATE {table} CASCADE") == "42501"  # insufficient_privilege
    assert refused(app_db, "ALTER TABLE custody_ledgerentry DISABLE TRIGGER USER") == "42501"
    assert refused(app_db, "ALTER TABLE custody_custodyaccount DISABLE TRIGGER ALL") == "42501"
    assert refused(app_db, "ALTER TABLE custody_custodyaccount ADD COLUMN x int") == "42501"
    assert refused(app_db, "DROP TRIGGER custody_account_balance_from_ledger ON custody_custodyaccount") == "42501"
    assert refused(app_db, "SET session_replication_role = replica") == "42501"
    assert refused(app_db, "CREATE TABLE mine (i int)") == "42501"
    assert refused(app_db, "DELETE FROM django_migrations") == "42501"
    owned = app_db.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()[0]
    assert owned == 0


def test_the_app_role_cannot_change_a_balance_nor_edit_ledger_or_audit(app_db, village_code):
    account = open_account(village_code)
    deposit(account, 5000)
    audit_record(actor=None, action=AuditAction.VIEW, object_type="test", object_repr="x")
    assert refused(app_db, "UPDATE custody_custodyaccount SET balance_fen = balance_fen + 100000") == "23514"
    for table in APPEND_ONLY:
        assert refused(app_db, f"DELETE FROM {table}") == "42501"
        assert refused(app_db, f"UPDATE {table} SET id = id") == "42501"
    account.refresh_from_db()
    assert account.balance_fen == 5000
    assert app_db.execute("SELECT count(*) FROM accounts_auditevent").fetchone()[0] >= 1


def test_the_app_role_does_its_ordinary_work(app_db, village_code):
    account = open_account(village_code)
    app_db.execute("INSERT INTO accounts_auditevent (action, object_type, object_id, object_repr, at, details) "
                   "VALUES ('view', 't', '1', 'x', now(), '{}')")
    app_db.execute("UPDATE custody_custodyaccount SET opening_reason = 'changed' WHERE id = %s", [account.pk])
    app_db.execute("DELETE FROM django_session")
    assert app_db.execute("SELECT opening_reason FROM custody_custodyaccount WHERE id = %s",
                          [account.pk]).fetchone() == ("changed",)


def test_db_roles_is_idempotent_and_gives_everything_to_the_owner(app_db):
    call_command("db_roles")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s",
                    [settings.DB_OWNER_ROLE])
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT has_table_privilege(%s, 'custody_ledgerentry', 'INSERT'), "
                    "has_table_privilege(%s, 'custody_ledgerentry', 'UPDATE'), "
                    "has_table_privilege(%s, 'beneficiaries_household', 'UPDATE')",
                    [settings.DB_APP_ROLE] * 3)
        assert cur.fetchone() == (True, False, True)


def test_a_balance_changes_only_through_ledger_entries_even_for_the_owner(village_code):
    account = open_account(village_code)
    deposit(account, 5000)
    with pytest.raises(IntegrityError, match="differs from the sum"), transaction.atomic():
        CustodyAccount.objects.filter(pk=account.pk).update(balance_fen=F("balance_fen") + 100000)
    with pytest.raises(IntegrityError, match="differs from the sum"), transaction.atomic():
        CustodyAccount.objects.create(person=account.person, opened_on=account.opened_on, opening_reason="x",
                                      balance_fen=100, status="closed", closed_on=account.opened_on,
                                      closing_reason="x", final_balance_fen=0)
    account.refresh_from_db()
    assert account.balance_fen == 5000


def test_tables_the_owner_creates_later_are_granted_by_default(app_db):
    owner, app = settings.DB_OWNER_ROLE, settings.DB_APP_ROLE
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f'SET LOCAL ROLE "{owner}"')
        cur.execute("CREATE TABLE ops_future_table (id bigint)")
        cur.execute("SELECT has_table_privilege(%s, 'ops_future_table', 'INSERT'), "
                    "has_table_privilege(%s, 'ops_future_table', 'TRUNCATE')", [app, app])
        assert cur.fetchone() == (True, False)
        transaction.set_rollback(True)
