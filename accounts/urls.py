from django.urls import path

from . import audit_views, otp_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("2fa/setup/", otp_views.otp_setup, name="otp_setup"),
    path("2fa/verify/", otp_views.otp_verify, name="otp_verify"),
    path("2fa/recovery-codes/", otp_views.otp_recovery_codes, name="otp_recovery_codes"),
    path("phone/<str:kind>/<int:pk>/reveal/", otp_views.phone_reveal, name="phone_reveal"),
    path("areas/", views.area_browser, name="area_browser"),
    path("areas/<str:code>/", views.area_browser, name="area_detail"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
