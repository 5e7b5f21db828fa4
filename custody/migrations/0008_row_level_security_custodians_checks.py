"""Row-level security on custodians and caregivers (names, ID numbers, phones), their evaluations and
replacements, ledger checks, spot-check samples and village meetings (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("custody_custodian", child_of("account_id", "custody_custodyaccount")),
    ("custody_caregiver", child_of("account_id", "custody_custodyaccount")),
    ("custody_dutyevaluation", child_of("account_id", "custody_custodyaccount")),
    ("custody_replacement", child_of("account_id", "custody_custodyaccount")),
    ("custody_ledgercheck", child_of("account_id", "custody_custodyaccount")),
    ("custody_spotchecksample", child_of("account_id", "custody_custodyaccount")),
    ("custody_villagemeeting", area_in_scope("village_id")),
]


class Migration(migrations.Migration):
    dependencies = [("custody", "0007_merge_20261208_0351")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
