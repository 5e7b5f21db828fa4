"""Department now lives in accounts (accounts 0006, same table `services_department`): point the
fields' and referrals' foreign keys (and the fields' many-to-many tables) there, then drop the
model from this app's state — after exchange 0002, the last other app that pointed here. State
only: tables, columns and constraints are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_department_and_agency_moved_here"),
        ("exchange", "0002_department_moved_to_accounts"),
        ("services", "0006_seed_holiday_tables_from_chinesecalendar"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="field",
                    name="route_to",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="routed_fields",
                                            to="accounts.department", verbose_name="默认受理部门"),
                ),
                migrations.AlterField(
                    model_name="referral",
                    name="department",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="referrals",
                                            to="accounts.department", verbose_name="受理部门"),
                ),
                migrations.AlterField(
                    model_name="field",
                    name="lead_departments",
                    field=models.ManyToManyField(related_name="lead_fields", to="accounts.department",
                                                 verbose_name="牵头单位"),
                ),
                migrations.AlterField(
                    model_name="field",
                    name="responsible_departments",
                    field=models.ManyToManyField(blank=True, related_name="responsible_fields",
                                                 to="accounts.department", verbose_name="责任单位"),
                ),
                migrations.DeleteModel(name="Department"),
            ],
        ),
    ]
