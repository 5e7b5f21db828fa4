"""Row-level security on roster proposals (waiting entries carry a name and an ID number) and the
departments' listings (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("exchange_proposal", area_in_scope("village_id")),
    ("exchange_listing", household_child()),
]


class Migration(migrations.Migration):
    dependencies = [("exchange", "0004_department_listings"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
