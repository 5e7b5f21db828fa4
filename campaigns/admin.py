"""Read-only admin of campaigns and their ledgers, scoped like the site."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Campaign, Donation, StockEntry

for model in (Campaign, StockEntry, Donation):
    admin.site.register(model, ReadOnlyAdmin)
