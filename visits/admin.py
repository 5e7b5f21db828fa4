"""Read-only admin of visits and their follow-up, scoped like the site."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Escalation, Finding, OverdueAlert, Pause, SpecialPeriod, Visit, VisitPolicy

for model in (Visit, Finding, OverdueAlert, Escalation, Pause, SpecialPeriod, VisitPolicy):
    admin.site.register(model, ReadOnlyAdmin)
