"""Proposals carry the day their source fact took effect (issue 24 §12): a death's date, a move
away, turning 18, a department's list day. Death proposals made before are given their date of
death from their facts (the last member's), as exchange.actions.source_date read it."""

from django.db import migrations, models


def dates_of_death(apps, schema_editor):
    Proposal = apps.get_model("exchange", "Proposal")
    import datetime as dt

    for p in Proposal.objects.filter(effective_on__isnull=True).exclude(facts={}).iterator():
        dates = []
        for change in (p.facts or {}).get("changes", []):
            if change.get("field") == "died_on" and change.get("list"):
                try:
                    dates.append(dt.date.fromisoformat(change["list"]))
                except ValueError:
                    continue
        if dates:
            Proposal.objects.filter(pk=p.pk).update(effective_on=max(dates))


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0004_department_listings'),
    ]

    operations = [
        migrations.AddField(
            model_name='proposal',
            name='effective_on',
            field=models.DateField(blank=True, null=True, verbose_name='事实发生日期'),
        ),
        migrations.RunPython(dates_of_death, migrations.RunPython.noop),
    ]
