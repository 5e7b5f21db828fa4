"""Row-level security on the oversight rows that name households, visits or cadres: inspected
households, problems and their rectification steps, spot-check items (accounts/rls.py,
docs/security.md). Each follows its first-lock rule: a household's, the problem's area, the draw's area."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("oversight_inspectionhousehold", household_child()),
    ("oversight_oversightproblem", area_in_scope("area_id")),
    ("oversight_rectificationstep", child_of("problem_id", "oversight_oversightproblem")),
    ("oversight_spotcheckitem", "draw_id IN (SELECT id FROM oversight_spotcheckdraw WHERE "
                                + area_in_scope("area_id") + ")"),
]


class Migration(migrations.Migration):
    dependencies = [("oversight", "0006_merge_0005_campaign_done_weight_0005_daily_figures"), ("visits", "0007_row_level_security_alerts_escalations")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
