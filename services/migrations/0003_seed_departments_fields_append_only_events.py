from django.db import migrations

TRIGGER = """
CREATE TRIGGER services_referralevent_append_only
BEFORE UPDATE OR DELETE ON services_referralevent
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
"""


def load(apps, schema_editor):
    from services.reference import reference_load

    reference_load(apps.get_model("services", "Department"), apps.get_model("services", "Field"))


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0002_fields_referrals_providers_lists"),
        ("accounts", "0002_areas_and_append_only_audit"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS services_referralevent_append_only ON services_referralevent;"),
    ]
