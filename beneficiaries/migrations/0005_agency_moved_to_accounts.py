"""Agency now lives in accounts (accounts 0006, same table `beneficiaries_agency`): point the
cadres' and households' foreign keys there and drop the model from this app's state. The
database is not touched: the columns and their constraints stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_department_and_agency_moved_here"),
        ("beneficiaries", "0004_encrypt_id_numbers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="agency",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="households", to="accounts.agency", verbose_name="委托第三方机构"),
                ),
                migrations.AlterField(
                    model_name="cadre",
                    name="agency",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="staff", to="accounts.agency", verbose_name="所属第三方机构"),
                ),
                migrations.DeleteModel(name="Agency"),
            ],
        ),
    ]
