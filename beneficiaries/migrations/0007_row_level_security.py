"""Row-level security on households and persons (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import HOUSEHOLD_USING_0007, disable_sql, enable_sql, household_child


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0006_merge_agency_move_and_indexes"),
                    ("accounts", "0009_row_level_security_functions")]

    operations = [
        migrations.RunSQL(enable_sql("beneficiaries_household", HOUSEHOLD_USING_0007)
                          + enable_sql("beneficiaries_person", household_child()),
                          disable_sql("beneficiaries_person") + disable_sql("beneficiaries_household")),
    ]
