from django.contrib import admin
from django.urls import include, path

from oversight import views as oversight_views

admin.site.site_header = "关爱帮扶 管理后台"
admin.site.site_title = "关爱帮扶"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", oversight_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("custody/", include("custody.urls")),
    path("roster/", include("beneficiaries.urls")),
    path("visits/", include("visits.urls")),
    path("services/", include("services.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("oversight/", include("oversight.urls")),
    path("imports/", include("imports.urls")),
    path("assistance/", include("assistance.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("exchange.api.urls")),
    path("exchange/", include("exchange.urls")),
    path("", include("earlywarning.urls")),  # /warnings/… and the door card's public /h/<token>/
    path("", include("visits.pwa")),  # /sw.js, /manifest.webmanifest, /offline/ (offline cadre app)
]

# Uploaded files (visit photos, receipts, meeting minutes) are personal data: they are served only
# by views that check the user's scope and audit the download — never from MEDIA_URL, not even in DEBUG.

# Browsers ask for /favicon.ico on their own; point them at the vendored icon. The hashed name is
# looked up per request, not when the URLconf loads (management commands run before collectstatic).
from django.http import HttpResponsePermanentRedirect  # noqa: E402
from django.templatetags.static import static as _static  # noqa: E402


def _favicon(request):
    return HttpResponsePermanentRedirect(_static("img/favicon.ico"))


urlpatterns.append(path("favicon.ico", _favicon))
