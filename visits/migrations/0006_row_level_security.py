"""Row-level security on visits, their photos and findings (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import disable_sql, enable_sql, household_child


class Migration(migrations.Migration):
    dependencies = [("visits", "0005_merge_capture_finding_management"),
                    ("beneficiaries", "0007_row_level_security")]

    operations = [
        migrations.RunSQL(enable_sql("visits_visit", household_child())
                          + enable_sql("visits_visitphoto", "visit_id IN (SELECT id FROM visits_visit)")
                          + enable_sql("visits_finding", household_child()),
                          disable_sql("visits_finding") + disable_sql("visits_visitphoto") + disable_sql("visits_visit")),
    ]
