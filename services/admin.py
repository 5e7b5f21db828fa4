"""Read-only admin of departments and referrals, scoped like the site."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Department, Field, Referral, ServiceProvider

for model in (Department, Field, Referral, ServiceProvider):
    admin.site.register(model, ReadOnlyAdmin)
