from django.db import migrations

# The years the chinesecalendar package knows (2004–2026 in 1.11.0) become holiday tables.
# Later years are entered by the prefecture bureau from the State Council's notice.


def seed(apps, schema_editor):
    from services.holidays import seed_from_chinesecalendar

    seed_from_chinesecalendar(apps.get_model("services", "HolidayYear"), apps.get_model("services", "HolidayDay"))


def unseed(apps, schema_editor):
    apps.get_model("services", "HolidayYear").objects.filter(source__startswith="chinesecalendar").delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0005_holiday_tables_provisional_deadlines")]

    operations = [migrations.RunPython(seed, unseed)]
