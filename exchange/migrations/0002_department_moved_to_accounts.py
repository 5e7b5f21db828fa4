"""Department now lives in accounts (accounts 0006, same table): the token's foreign key points
there. State only; the column and its constraint are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_department_and_agency_moved_here"),
        ("exchange", "0001_api_tokens_cross_checks_proposals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="apitoken",
                    name="department",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                            to="accounts.department", verbose_name="部门"),
                ),
            ],
        ),
    ]
