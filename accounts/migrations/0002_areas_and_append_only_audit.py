from django.db import migrations

# One trigger function for every append-only table (audit log here; ledgers later reuse it).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION care_refuse_update_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

AUDIT_TRIGGER = """
CREATE TRIGGER accounts_auditevent_append_only
BEFORE UPDATE OR DELETE ON accounts_auditevent
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
"""


def load_areas(apps, schema_editor):
    from accounts.actions import areas_load

    areas_load(apps.get_model("accounts", "Area"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(load_areas, migrations.RunPython.noop),
        migrations.RunSQL(APPEND_ONLY_FUNCTION, "DROP FUNCTION IF EXISTS care_refuse_update_delete() CASCADE;"),
        migrations.RunSQL(AUDIT_TRIGGER, "DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;"),
    ]
