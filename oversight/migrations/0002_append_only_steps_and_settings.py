from django.db import migrations

TRIGGERS = """
CREATE TRIGGER oversight_rectificationstep_append_only
BEFORE UPDATE OR DELETE ON oversight_rectificationstep
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
CREATE TRIGGER oversight_assessmentsetting_append_only
BEFORE UPDATE OR DELETE ON oversight_assessmentsetting
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
CREATE TRIGGER oversight_assessmentsignoff_append_only
BEFORE UPDATE OR DELETE ON oversight_assessmentsignoff
FOR EACH ROW EXECUTE FUNCTION care_refuse_update_delete();
"""

DROP = """
DROP TRIGGER IF EXISTS oversight_rectificationstep_append_only ON oversight_rectificationstep;
DROP TRIGGER IF EXISTS oversight_assessmentsetting_append_only ON oversight_assessmentsetting;
DROP TRIGGER IF EXISTS oversight_assessmentsignoff_append_only ON oversight_assessmentsignoff;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0001_spot_checks_inspections_problems_assessment"),
        ("accounts", "0002_areas_and_append_only_audit"),
    ]

    operations = [migrations.RunSQL(TRIGGERS, DROP)]
