from django.urls import path

from . import assessment_views, dashboard_views, recordbook_views, work_views

app_name = "oversight"

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard_index, name="dashboard_index"),
    path("dashboard/<str:code>/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/<str:code>/households/", dashboard_views.drill, name="drill"),
    path("dashboard/<str:code>/<slug:key>.xlsx", dashboard_views.panel_xlsx, name="panel_xlsx"),
    path("spot-checks/", work_views.spotcheck_list, name="spotcheck_list"),
    path("spot-checks/<int:pk>/", work_views.spotcheck_detail, name="spotcheck_detail"),
    path("spot-checks/items/<int:pk>/", work_views.spotcheck_item, name="spotcheck_item"),
    path("problems/", work_views.problem_list, name="problem_list"),
    path("problems/<int:pk>/", work_views.problem_detail, name="problem_detail"),
    path("inspections/", work_views.inspection_list, name="inspection_list"),
    path("inspections/new/", work_views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", work_views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/draw/", work_views.inspection_draw, name="inspection_draw"),
    path("inspections/<int:pk>/problems/new/", work_views.inspection_problem_new, name="inspection_problem_new"),
    path("inspections/<int:pk>/complete/", work_views.inspection_complete, name="inspection_complete"),
    path("inspections/<int:pk>/report/", work_views.inspection_report, name="inspection_report"),
    path("inspections/<int:pk>/report.xlsx", work_views.inspection_report_xlsx, name="inspection_report_xlsx"),
    path("inspections/samples/<int:pk>/", work_views.inspection_sample, name="inspection_sample"),
    path("assessment/", assessment_views.assessment_sheet, name="assessment"),
    path("assessment/sheet.xlsx", assessment_views.assessment_xlsx, name="assessment_xlsx"),
    path("record-book/households/<int:pk>.pdf", recordbook_views.household_book, name="household_book"),
    path("record-book/villages/<str:code>/", recordbook_views.village_books, name="village_books"),
    path("record-book/villages/<str:code>/build/", recordbook_views.village_books_start, name="village_books_start"),
    path("record-book/jobs/<int:pk>/", recordbook_views.record_book_job, name="record_book_job"),
    path("record-book/jobs/<int:pk>/download/", recordbook_views.record_book_download, name="record_book_download"),
    path("assessment/settings/", assessment_views.assessment_settings, name="assessment_settings"),
]
