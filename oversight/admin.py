"""Read-only admin of oversight, scoped like the site; every write goes through the pages
(oversight.actions), which validate and audit."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import (
    AssessmentSetting,
    AssessmentSignoff,
    Inspection,
    InspectionHousehold,
    OversightProblem,
    RecordBookJob,
    RectificationStep,
    SpotCheckDraw,
    SpotCheckItem,
)


@admin.register(SpotCheckDraw)
class SpotCheckDrawAdmin(ReadOnlyAdmin):
    list_display = ("area", "month", "per_cadre", "seed", "drawn_by", "drawn_at")
    list_select_related = ("area", "drawn_by")


@admin.register(SpotCheckItem)
class SpotCheckItemAdmin(ReadOnlyAdmin):
    list_display = ("draw", "visit", "cadre", "outcome", "method", "checked_on", "checked_by")
    list_filter = ("outcome", "method")
    list_select_related = ("draw__area", "visit__household", "cadre", "checked_by")


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ("title", "organiser", "year", "half", "status", "seed", "created_by")
    list_filter = ("status", "year", "half")
    list_select_related = ("organiser", "created_by")


@admin.register(InspectionHousehold)
class InspectionHouseholdAdmin(ReadOnlyAdmin):
    list_display = ("inspection", "township", "household", "checked_by", "checked_at")
    list_select_related = ("inspection", "township", "household", "checked_by")


@admin.register(OversightProblem)
class OversightProblemAdmin(ReadOnlyAdmin):
    list_display = ("source", "area", "household", "cadre", "serious", "owner", "due_on", "status", "closed_on")
    list_filter = ("source", "status", "serious")
    list_select_related = ("area", "household", "cadre", "owner")


@admin.register(RectificationStep)
class RectificationStepAdmin(ReadOnlyAdmin):
    list_display = ("problem", "closes", "actor", "at")
    list_select_related = ("problem", "actor")


@admin.register(AssessmentSetting)
class AssessmentSettingAdmin(ReadOnlyAdmin):
    list_display = ("year", "excellent", "passing", "set_by", "set_at")
    list_select_related = ("set_by",)


@admin.register(AssessmentSignoff)
class AssessmentSignoffAdmin(ReadOnlyAdmin):
    list_display = ("county", "year", "kind", "signed_by", "signed_at")
    list_select_related = ("county", "signed_by")


@admin.register(RecordBookJob)
class RecordBookJobAdmin(ReadOnlyAdmin):
    list_display = ("village", "requested_by", "requested_at", "status", "done", "total")
    list_select_related = ("village", "requested_by")
