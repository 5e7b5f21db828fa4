"""The Notification model now lives in accounts (accounts 0004 renamed its table, rows kept):
drop it from the visits state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("visits", "0003_visit_capture_checklist_position"),
        ("accounts", "0004_notification_from_visits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
