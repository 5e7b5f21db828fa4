from django.db import migrations

# The application timeline, the reserve-fund ledger and roll-call checks are append-only: the
# database refuses UPDATE and DELETE, reusing the trigger function of accounts migration 0002.
TABLES = ["assistance_applicationevent", "assistance_reserveentry", "assistance_rollcall"]


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
        ("assistance", "0001_initial"),
    ]

    operations = [migrations.RunSQL(_create(t), _drop(t)) for t in TABLES]
