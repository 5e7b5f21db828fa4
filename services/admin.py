"""Read-only admin of fields of help, referrals and providers, scoped like the site (departments:
accounts.admin)."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Field, Referral, ServiceProvider

for model in (Field, Referral, ServiceProvider):
    admin.site.register(model, ReadOnlyAdmin)
