"""Row-level security on referrals (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import disable_sql, enable_sql, household_child


class Migration(migrations.Migration):
    dependencies = [("services", "0007_department_moved_to_accounts"),
                    ("beneficiaries", "0007_row_level_security")]

    operations = [
        migrations.RunSQL(enable_sql("services_referral", household_child()), disable_sql("services_referral")),
    ]
