"""The second lock: PostgreSQL row-level security (issue 21; docs/security.md "Row-level security").

The first lock is accounts/scoping.py. The second lives in the database: the tables holding
personal data or money have policies (migrations: accounts 0009 defines the functions, each app
enables RLS on its own tables with `enable_sql`) that admit a row only when its area code starts
with one of the prefixes in the session setting `care.scope`, or when it is reached by the user's
assignment (`care.user`: a cadre's pairings and agency). The application role owns no table and
is NOBYPASSRLS, so it is always subject; the owner (migrations, pg_dump) and superusers are not —
FORCE ROW LEVEL SECURITY would make pg_dump/pg_restore of the owner fail.

Who sets the scope:
- a web request: `RowScopeMiddleware`, before the view runs, with the signed-in user's prefixes
  (one `SELECT set_config(...)` in autocommit, so no rollback can undo it); an API request once
  its token is authenticated (exchange.api.authentication). An anonymous request gets no scope:
  every protected table is empty to it.
- a Celery task or a management command: the explicit system scope `*`, logged (task name or
  command line) when the connection is opened and at each task's start.
A connection opened inside a web process outside a request gets no scope (empty tables).

The prefixes are coarser than the first lock on purpose — geography, not every rule: a cadre is
admitted only to the households they are or were paired with or their agency serves (no area);
a financial supervisor to their county, and to the custody accounts their spot checks sampled
(the word `sampled` in the scope); a department liaison to the prefecture, an API token to
its own area."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable

from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("care.rls")

SYSTEM = "*"
NONE = ""  # no prefix at all: every protected table is empty
SETTING_SCOPE = "care.scope"
SETTING_USER = "care.user"
# A word in care.scope (never a prefix: the patterns take digits only): the user's only role is
# financial supervisor, so custody accounts are admitted by sample (custody migration 0009).
SAMPLED = "sampled"

_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("care_rls_in_request", default=False)
_web_process = False


def scope_for(user) -> tuple[str, str]:
    """(care.scope, care.user) for a user: '*' for a superuser; otherwise the significant code
    prefixes of every area the user's roles are bound to (a department liaison: the prefecture)."""
    from .areacodes import PREFECTURE_PREFIX
    from .models import PREFIX_LENGTH, Role
    from .scoping import user_roles

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NONE, ""
    if user.is_superuser:
        return SYSTEM, str(user.pk)
    prefixes = set()
    for role in user_roles(user):
        if role.role == Role.CADRE:
            continue  # a cadre reaches households by pairing or agency only (care.user)
        if role.area is not None:
            prefixes.add(role.area.code[: PREFIX_LENGTH[role.area.level]])
        elif role.role == Role.DEPARTMENT:
            prefixes.add(PREFECTURE_PREFIX)
    kept = sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    roles = {role.role for role in user_roles(user)}
    if roles == {Role.FINANCIAL_SUPERVISOR} and kept:
        kept.append(SAMPLED)  # custody accounts: only those their areas' spot checks sampled
    return ",".join(kept), str(user.pk)


def apply(scope: str, user_id: str = "", *, connection=None) -> None:
    """Set the session's scope (not local to a transaction: it holds until the next apply)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false), set_config(%s, %s, false)",
                       [SETTING_SCOPE, scope, SETTING_USER, user_id])
    connection.care_scope = (scope, user_id)


def apply_for_user(user, *, connection=None) -> None:
    apply(*scope_for(user), connection=connection)


def system_scope(reason: str, *, connection=None) -> None:
    """The explicit, logged scope of a task or command: every row."""
    logger.info("care.scope = system (%s)", reason)
    apply(SYSTEM, "", connection=connection)


def _process_label() -> str:
    return " ".join(sys.argv[:3])[:200] or "python"


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql":
        return
    if _web_process or _in_request.get():
        # A web process: nothing until a request sets its user's scope.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', false), set_config(%s, '', false)", [SETTING_SCOPE, SETTING_USER])
        connection.care_scope = (NONE, "")
        return
    logger.info("care.scope = system for a new connection (%s)", _process_label())
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '*', false), set_config(%s, '', false)", [SETTING_SCOPE, SETTING_USER])
    connection.care_scope = (SYSTEM, "")


connection_created.connect(_on_connection_created, dispatch_uid="care_rls_connection_created")


def _on_task_prerun(sender=None, task=None, **kwargs) -> None:
    if _in_request.get():
        return  # a task run eagerly inside a request (tests) keeps the request's scope
    system_scope(f"task {getattr(task, 'name', sender)}")


try:  # Celery is a dependency of the project, but keep this module importable without it
    from celery.signals import task_prerun

    task_prerun.connect(_on_task_prerun, dispatch_uid="care_rls_task_prerun", weak=False)
except ImportError:  # pragma: no cover
    pass


def _nothing_before_first_statement():
    done = False

    def wrapper(execute, sql, params, many, context):
        nonlocal done
        if not done:
            done = True
            connection = context["connection"]
            if getattr(connection, "care_scope", None) != (NONE, ""):
                apply(NONE, "", connection=connection)
        return execute(sql, params, many, context)

    return wrapper


class RowScopeMiddleware:
    """After authentication: the request's user's scope, set before the view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        global _web_process
        _web_process = True
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _in_request.set(True)
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                apply_for_user(user)
                return self.get_response(request)
            # Anonymous: the scope "nothing" is set before the request's first statement, if the
            # connection holds another one; a request that reads no table (a favicon, the API
            # schema) touches no database.
            with default_connection.execute_wrapper(_nothing_before_first_statement()):
                return self.get_response(request)
        finally:
            _in_request.reset(token)


# --- SQL for the migrations -------------------------------------------------------------------

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION care_scope_all() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('care.scope', true), '') = '*' $$;

CREATE OR REPLACE FUNCTION care_scope_patterns() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(array_agg(p || '%'), '{}')
   FROM unnest(string_to_array(nullif(coalesce(current_setting('care.scope', true), ''), '*'), ',')) AS p
   WHERE p ~ '^[0-9]{1,12}$' $$;

CREATE OR REPLACE FUNCTION care_scope_user() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(coalesce(current_setting('care.user', true), ''), '')::bigint $$;
"""

FUNCTIONS_DROP_SQL = """
DROP FUNCTION IF EXISTS care_scope_all();
DROP FUNCTION IF EXISTS care_scope_patterns();
DROP FUNCTION IF EXISTS care_scope_user();
"""


def enable_sql(table: str, using: str) -> str:
    """RLS on `table` (every role but the owner and superusers: the app role `care_app` owns
    nothing, so it is always subject; the owner `care_owner` runs migrations and pg_dump, which
    FORCE would break), with one policy for every command: a row is read,
    written and kept only when `using` holds for it (WITH CHECK defaults to USING). The scope
    functions are called as scalar subqueries, `(SELECT care_scope_all())`: PostgreSQL then
    evaluates them once per statement (an InitPlan), not once per row."""
    return (f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
            f"DROP POLICY IF EXISTS care_scope ON {table};\n"
            f"CREATE POLICY care_scope ON {table} USING ((SELECT care_scope_all()) OR {using});\n")


def disable_sql(table: str) -> str:
    return (f"DROP POLICY IF EXISTS care_scope ON {table};\n"
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;\n")


def household_child(column: str = "household_id") -> str:
    """A row belonging to a household: admitted when its household is (the household table's
    own policy applies inside the subquery)."""
    return f"{column} IN (SELECT id FROM beneficiaries_household)"


def child_of(column: str, table: str) -> str:
    """A row admitted when the parent row it names is (the parent table's own policy applies
    inside the subquery)."""
    return f"{column} IN (SELECT id FROM {table})"


def area_in_scope(column: str) -> str:
    """A row admitted when its area code starts with one of the scope's prefixes."""
    return f"{column} LIKE ANY ((SELECT care_scope_patterns())::text[])"


# The households a cadre user is (or was) paired with, read as the function's owner (SECURITY
# DEFINER: the owner is not subject to RLS). The household policy calls it instead of reading
# beneficiaries_pairing, so the pairing table can have its own policy (a household's child)
# without the two policies referring to each other ("infinite recursion detected in policy").
PAIRED_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION care_scope_paired_households() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT p.household_id FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
   WHERE c.user_id = (SELECT care_scope_user()) $$;
"""

PAIRED_FUNCTION_DROP_SQL = "DROP FUNCTION IF EXISTS care_scope_paired_households();\n"

HOUSEHOLD_USING = """(
    village_id LIKE ANY ((SELECT care_scope_patterns())::text[])
    OR id IN (SELECT care_scope_paired_households())
    OR agency_id IN (SELECT c.agency_id FROM beneficiaries_cadre c
                     WHERE c.user_id = (SELECT care_scope_user()) AND c.agency_id IS NOT NULL)
)"""

# The household policy of beneficiaries 0007 (before the pairing table had its own policy).
HOUSEHOLD_USING_0007 = """(
    village_id LIKE ANY ((SELECT care_scope_patterns())::text[])
    OR id IN (SELECT p.household_id FROM beneficiaries_pairing p
              JOIN beneficiaries_cadre c ON c.id = p.cadre_id WHERE c.user_id = (SELECT care_scope_user()))
    OR agency_id IN (SELECT c.agency_id FROM beneficiaries_cadre c
                     WHERE c.user_id = (SELECT care_scope_user()) AND c.agency_id IS NOT NULL)
)"""
