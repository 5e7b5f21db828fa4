"""Row-level security on alerts, escalations, pauses and the findings' timelines and photos (accounts/rls.py, docs/security.md)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("visits_overduealert", household_child()),
    ("visits_shortfallalert", household_child()),
    ("visits_pause", household_child()),
    ("visits_escalation", "(" + area_in_scope("area_id") + " OR " + household_child() + ")"),
    ("visits_findingevent", child_of("finding_id", "visits_finding")),
    ("visits_findingchange", child_of("finding_id", "visits_finding")),
    ("visits_findingphoto", child_of("finding_id", "visits_finding")),
]


class Migration(migrations.Migration):
    dependencies = [("visits", "0006_row_level_security"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
