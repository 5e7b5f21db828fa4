"""Row-level security on pairings, care plans and classification history (accounts/rls.py,
docs/security.md). The household policy now reaches a cadre's paired households through
`care_scope_paired_households()` (SECURITY DEFINER, read as the owner), so the pairing table can
be a household's child without the two policies referring to each other."""

from django.db import migrations

from accounts.rls import (
    HOUSEHOLD_USING,
    HOUSEHOLD_USING_0007,
    PAIRED_FUNCTION_DROP_SQL,
    PAIRED_FUNCTION_SQL,
    disable_sql,
    enable_sql,
    household_child,
)

TABLES = [
    ("beneficiaries_pairing", household_child()),
    ("beneficiaries_careplan", household_child()),
    ("beneficiaries_classification", household_child()),
]


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0007_row_level_security")]

    operations = [
        migrations.RunSQL(
            PAIRED_FUNCTION_SQL + enable_sql("beneficiaries_household", HOUSEHOLD_USING)
            + "".join(enable_sql(table, using) for table, using in TABLES),
            "".join(disable_sql(table) for table, _using in reversed(TABLES))
            + enable_sql("beneficiaries_household", HOUSEHOLD_USING_0007) + PAIRED_FUNCTION_DROP_SQL),
    ]
