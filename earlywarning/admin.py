"""Read-only admin of early warning, scoped like the site."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import CareWarning, DoorCard, HelpRequest, Signal, Verification, WarningPolicy

for model in (Signal, CareWarning, Verification, WarningPolicy, DoorCard, HelpRequest):
    admin.site.register(model, ReadOnlyAdmin)
