"""The year-end township assessment gains an indicator, 专项行动落实率 (campaign_done). The
prefecture's settings already stored name every indicator by key (the settings page and
`assessment_set` expect all of them); they get the new key with weight 0, so every score they
give stays what it was. The settings table is append-only (trigger of 0002): the trigger is
switched off for this one statement inside the migration's transaction."""

from django.db import migrations

FORWARD = """
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE oversight_assessmentsetting DISABLE TRIGGER oversight_assessmentsetting_append_only;
UPDATE oversight_assessmentsetting SET weights = weights || '{"campaign_done": 0}'::jsonb
 WHERE NOT (weights ? 'campaign_done');
ALTER TABLE oversight_assessmentsetting ENABLE TRIGGER oversight_assessmentsetting_append_only;
"""

BACKWARD = """
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE oversight_assessmentsetting DISABLE TRIGGER oversight_assessmentsetting_append_only;
UPDATE oversight_assessmentsetting SET weights = weights - 'campaign_done'
 WHERE (weights->>'campaign_done') = '0';
ALTER TABLE oversight_assessmentsetting ENABLE TRIGGER oversight_assessmentsetting_append_only;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0004_monthly_compliance_figures"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
