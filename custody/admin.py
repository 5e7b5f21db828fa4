"""Read-only admin of fund custody, scoped like the site. Every write goes through the pages
(custody.actions): the ledger is append-only, and balances move only under a row lock."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import (
    Caregiver,
    Custodian,
    CustodyAccount,
    CustodyPolicy,
    DutyEvaluation,
    LedgerCheck,
    LedgerEntry,
    SpotCheck,
    SpotCheckSample,
    VillageMeeting,
)


@admin.register(CustodyAccount)
class CustodyAccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "person", "status", "balance_fen", "opened_on", "closed_on")
    list_filter = ("status",)
    list_select_related = ("person",)
    search_fields = ("person__name", "person__household__code")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "kind", "amount_fen", "balance_after_fen", "entry_date", "receipt_number",
                    "reverses", "posted_by", "posted_at")
    list_filter = ("kind", "fund_type", "purpose")
    list_select_related = ("account__person", "posted_by", "reverses")
    date_hierarchy = "entry_date"


@admin.register(VillageMeeting)
class VillageMeetingAdmin(ReadOnlyAdmin):
    list_display = ("village", "held_on", "attendance", "recorded_by")
    list_select_related = ("village", "recorded_by")


@admin.register(Custodian)
class CustodianAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "is_party_member", "is_village_elder", "started_on", "ended_on")
    list_select_related = ("account__person",)
    exclude = ("id_number",)


@admin.register(Caregiver)
class CaregiverAdmin(ReadOnlyAdmin):
    list_display = ("name", "account", "relation", "started_on", "ended_on")
    list_select_related = ("account__person",)
    exclude = ("id_number",)


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    list_display = ("account", "period_start", "period_end", "checked_on", "checker", "result")
    list_filter = ("result",)
    list_select_related = ("account__person", "checker")


@admin.register(DutyEvaluation)
class DutyEvaluationAdmin(ReadOnlyAdmin):
    list_display = ("account", "role", "level", "period", "result", "evaluated_by")
    list_filter = ("role", "level", "result")
    list_select_related = ("account__person", "evaluated_by")


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdmin):
    list_display = ("area", "drawn_on", "percent", "seed", "supervisor")
    list_select_related = ("area", "supervisor")


@admin.register(SpotCheckSample)
class SpotCheckSampleAdmin(ReadOnlyAdmin):
    list_display = ("spot_check", "account", "result", "checked_on")
    list_select_related = ("spot_check__area", "account__person")


@admin.register(CustodyPolicy)
class CustodyPolicyAdmin(ReadOnlyAdmin):
    list_display = ("county", "balance_ceiling_fen", "changed_by", "changed_at")
