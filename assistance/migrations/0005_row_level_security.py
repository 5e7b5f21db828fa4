"""Row-level security on assistance applications and the reserve fund's ledger (accounts/rls.py):
a ledger line is admitted by its fund's county or by its application's household."""

from django.db import migrations

from accounts.rls import disable_sql, enable_sql, household_child


class Migration(migrations.Migration):
    dependencies = [("assistance", "0004_reserve_balance_only_through_ledger"),
                    ("beneficiaries", "0007_row_level_security")]

    operations = [
        migrations.RunSQL(
            enable_sql("assistance_assistanceapplication", household_child())
            + enable_sql("assistance_reserveentry", "(fund_id LIKE ANY ((SELECT care_scope_patterns())::text[]) "
                         "OR application_id IN (SELECT id FROM assistance_assistanceapplication))"),
            disable_sql("assistance_reserveentry") + disable_sql("assistance_assistanceapplication")),
    ]
