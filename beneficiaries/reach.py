"""A cheap superset of who may see which household, in SQL, for existence probes (issue 25).

Pages opened all day (the cadre's list, the desk) show lists that are usually empty (special
reports, visit conflicts, early warnings). Building each list's scoped ORM query costs 2–3 ms of
Python even when it finds nothing; one small statement asking "is there anything at all this
user might see?" lets the page skip the lists that are empty. The answer only has to be a
superset of accounts.scoping's rule for household rows (`household_child_scope`): the lists
still apply the real scope. Never use this as the scope itself."""

from __future__ import annotations

from accounts.models import User
from accounts.scoping import area_prefixes

from .models import Cadre, Household, Pairing


def household_reach_sql(user: User, column: str) -> tuple[str, dict]:
    """(condition, params): `column` (a household id) is a household `user` may see through an
    area role's prefix, their cadre's active pairing or their cadre's agency; `true` for a
    superuser. Params are named reach_user and reach_prefixes."""
    if getattr(user, "is_superuser", False):
        return "true", {}
    pairing, cadre, household = Pairing._meta.db_table, Cadre._meta.db_table, Household._meta.db_table
    sql = f"""({column} IN (SELECT p.household_id FROM {pairing} p JOIN {cadre} c ON c.id = p.cadre_id
                             WHERE c.user_id = %(reach_user)s AND p.ended_on IS NULL)
               OR {column} IN (SELECT h.id FROM {household} h WHERE h.village_id LIKE ANY (%(reach_prefixes)s)
                               OR h.agency_id IN (SELECT c.agency_id FROM {cadre} c WHERE c.user_id = %(reach_user)s)))"""
    return sql, {"reach_user": user.pk, "reach_prefixes": [f"{p}%" for p in area_prefixes(user)]}
