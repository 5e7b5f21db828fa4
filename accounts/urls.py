from django.urls import path

from . import audit_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("areas/", views.area_browser, name="area_browser"),
    path("areas/<str:code>/", views.area_browser, name="area_detail"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
