"""Department (from services) and Agency (from beneficiaries) now live beside Role, where access is
decided. Nothing changes in the database: the models keep their tables (Meta.db_table), their
rows and every foreign-key constraint; only the migration state moves (services 0007 and
beneficiaries 0005 drop the old models from theirs, exchange 0002 points ApiToken here).

The content types follow the models (same rows, new app label), so permissions granted on
departments or agencies and the admin's history of them keep working."""

import django.db.models.deletion
from django.db import migrations, models

# (old app label, model) → new app label
MOVED = {("services", "department"): "accounts", ("beneficiaries", "agency"): "accounts"}


def _relabel(apps, schema_editor, moves):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for (old_label, model), new_label in moves.items():
        # A row under the new label exists only if post_migrate ran in between (e.g. a partial
        # migrate); then the old row is stale and `remove_stale_contenttypes` may drop it.
        if ContentType.objects.using(db).filter(app_label=new_label, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=old_label, model=model).update(app_label=new_label)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, MOVED)


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, {(new, model): old for (old, model), new in MOVED.items()})


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_merge_notifications_password_history"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Department",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="部门代码")),
                        ("name", models.CharField(max_length=100, unique=True, verbose_name="部门名称")),
                    ],
                    options={
                        "verbose_name": "部门",
                        "verbose_name_plural": "部门",
                        "db_table": "services_department",
                        "ordering": ["code"],
                    },
                ),
                migrations.AlterField(
                    model_name="roleassignment",
                    name="department",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="liaisons", to="accounts.department", verbose_name="所属部门"),
                ),
                migrations.CreateModel(
                    name="Agency",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, verbose_name="机构名称")),
                        ("phone", models.CharField(blank=True, max_length=20, verbose_name="联系电话")),
                        ("county", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                     to="accounts.area", verbose_name="服务县(市)")),
                    ],
                    options={
                        "verbose_name": "第三方机构",
                        "verbose_name_plural": "第三方机构",
                        "db_table": "beneficiaries_agency",
                        "constraints": [models.UniqueConstraint(fields=("county", "name"), name="agency_unique_name_per_county")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
