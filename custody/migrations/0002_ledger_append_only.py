from django.db import migrations

# The ledger and signed village checks are append-only: the database itself refuses UPDATE and
# DELETE, reusing the trigger function created by accounts migration 0002.
TABLES = ["custody_ledgerentry", "custody_ledgercheck"]


def _create(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();"
    )


def _drop(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_areas_and_append_only_audit"),
        ("custody", "0001_custody_accounts_ledger_checks"),
    ]

    operations = [migrations.RunSQL(_create(t), _drop(t)) for t in TABLES]
