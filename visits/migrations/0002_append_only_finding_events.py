from django.db import migrations

TRIGGER = """
CREATE TRIGGER visits_findingevent_append_only
BEFORE UPDATE OR DELETE ON visits_findingevent
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_visits_findings_alerts"), ("accounts", "0002_areas_and_append_only_audit")]

    operations = [
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS visits_findingevent_append_only ON visits_findingevent;"),
    ]
