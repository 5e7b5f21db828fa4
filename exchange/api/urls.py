from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView

from . import views
from .docs import ApiDocsView

app_name = "api"

urlpatterns = [
    path("lists/", views.ListIndexView.as_view(), name="lists"),
    path("lists/<str:key>/", views.ListRowsView.as_view(), name="list_rows"),
    path("referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("referrals/<int:pk>/", views.ReferralDetailView.as_view(), name="referral"),
    path("referrals/<int:pk>/accept/", views.ReferralAcceptView.as_view(), name="referral_accept"),
    path("referrals/<int:pk>/start/", views.ReferralStartView.as_view(), name="referral_start"),
    path("referrals/<int:pk>/resolve/", views.ReferralResolveView.as_view(), name="referral_resolve"),
    path("referrals/<int:pk>/decline/", views.ReferralDeclineView.as_view(), name="referral_decline"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household"),
    path("status-lists/", views.StatusListView.as_view(), name="status_lists"),
    path("status-lists/<int:pk>/", views.StatusListDetailView.as_view(), name="status_list"),
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[],
                                               throttle_classes=[]), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    # Anything else under /api/v1/ (a malformed id included) is a JSON 404, never the HTML page.
    re_path(r"^.*$", csrf_exempt(lambda request: JsonResponse({"detail": _("未找到。")}, status=404))),
]
