"""The notification inbox moves from visits to accounts, keeping every row: the table is renamed
(visits_notification → accounts_notification) while the model state moves (visits 0004 drops it
from the visits state without touching the database)."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RENAME = """
ALTER TABLE visits_notification RENAME TO accounts_notification;
ALTER SEQUENCE IF EXISTS visits_notification_id_seq RENAME TO accounts_notification_id_seq;
"""
RENAME_BACK = """
ALTER TABLE accounts_notification RENAME TO visits_notification;
ALTER SEQUENCE IF EXISTS accounts_notification_id_seq RENAME TO visits_notification_id_seq;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_drop_redundant_prefix_index"),
        ("beneficiaries", "0003_quarterly_review"),
        ("visits", "0003_visit_capture_checklist_position"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(RENAME, RENAME_BACK)],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=80, verbose_name="事件标识")),
                        ("title", models.CharField(max_length=200, verbose_name="标题")),
                        ("url", models.CharField(blank=True, max_length=200, verbose_name="链接")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="时间")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="已读时间")),
                        ("household", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                        related_name="+", to="beneficiaries.household", verbose_name="家庭")),
                        ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                        related_name="notifications", to=settings.AUTH_USER_MODEL,
                                                        verbose_name="接收人")),
                    ],
                    options={
                        "verbose_name": "消息",
                        "verbose_name_plural": "消息",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx")],
                        "constraints": [models.UniqueConstraint(fields=("recipient", "key"), name="notification_once_per_event")],
                    },
                ),
            ],
        ),
        migrations.AddField(
            model_name="notification",
            name="channels",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(choices=[("sms", "短信"), ("wecom", "企业微信群")], max_length=8),
                blank=True, db_default=[], default=list, size=None, verbose_name="外发渠道"),
        ),
        migrations.AddField(
            model_name="notification",
            name="delivered",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=8), blank=True, db_default=[], default=list, size=None,
                verbose_name="已外发"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(condition=models.Q(("read_at__isnull", True)), fields=["recipient"],
                               name="notification_unread_idx"),
        ),
    ]
