"""Row-level security on care warnings, their signals and verifications, door cards and help requests
(accounts/rls.py, docs/security.md). The door card's public page reads its card in the system scope
(earlywarning.views.help_page)."""

from django.db import migrations

from accounts.rls import area_in_scope, child_of, disable_sql, enable_sql, household_child

TABLES = [
    ("earlywarning_signal", household_child()),
    ("earlywarning_carewarning", household_child()),
    ("earlywarning_verification", child_of("warning_id", "earlywarning_carewarning")),
    ("earlywarning_doorcard", household_child()),
    ("earlywarning_helprequest", household_child()),
]


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0002_department_custody_emergency_signal_kinds"), ("beneficiaries", "0008_row_level_security_pairings")]

    operations = [
        migrations.RunSQL("".join(enable_sql(table, using) for table, using in TABLES),
                          "".join(disable_sql(table) for table, _using in reversed(TABLES))),
    ]
