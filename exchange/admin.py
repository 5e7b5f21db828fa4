"""Read-only admin of tokens, cross-checks and proposals, scoped like the site. A waiting entry's
full ID number and a token's digest are not shown."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import ApiToken, CrossCheck, Proposal


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "department", "name", "area", "expires_at", "revoked_at", "last_used_at")
    exclude = ("key_hash",)


@admin.register(CrossCheck)
class CrossCheckAdmin(ReadOnlyAdmin):
    list_display = ("uploaded_at", "source", "area", "rows", "matched", "proposals")


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ("proposed_at", "kind", "status", "village", "household", "reason")
    list_filter = ("kind", "status")
    exclude = ("id_number",)
