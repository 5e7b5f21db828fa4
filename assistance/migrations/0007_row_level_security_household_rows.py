"""Row-level security on the assistance rows of a household: application timelines, reliefs, roll
calls, housing cases, contributions and aid records (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("assistance_applicationevent", child_of("application_id", "assistance_assistanceapplication")),
    ("assistance_relief", household_child()),
    ("assistance_rollcall", household_child()),
    ("assistance_housingcase", household_child()),
    ("assistance_contribution", household_child()),
    ("assistance_aidrecord", child_of("person_id", "beneficiaries_person")),
]


class Migration(migrations.Migration):
    dependencies = [("assistance", "0006_merge_20261208_0351"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
