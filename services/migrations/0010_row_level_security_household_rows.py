"""Row-level security on a referral's timeline, case conferences and one-case decisions
(accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("services_referralevent", child_of("referral_id", "services_referral")),
    ("services_caseconference", household_child()),
    ("services_onecasedecision", household_child()),
]


class Migration(migrations.Migration):
    dependencies = [("services", "0009_merge_20261208_0351"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
