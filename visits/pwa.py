"""The installable cadre app: web app manifest, the service worker at the site root, the
offline fallback page. See docs/offline.md.

The worker is rendered from a template at /sw.js (not a static file): its scope is the whole
site, it names the shell's static files through `static()` — hashed names under whitenoise's
manifest storage in production — and its text changes whenever one of them changes, so browsers
install the new worker. It is never cached by HTTP (Cache-Control: no-cache)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

IDB_STATIC = "vendor/idb-8.0.3/idb.umd.js"
OUTBOX_STATIC = "js/care-outbox.js"
# Static files every page needs, kept by the worker so pages open without a network.
SHELL_STATIC = (
    "vendor/bootstrap-5.3.9/bootstrap.min.css",
    "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js",
    "django_htmx/htmx-2.min.js",
    "css/care.css",
    "css/print.css",
    IDB_STATIC,
    OUTBOX_STATIC,
    "js/care-offline.js",
    "js/visit-form.js",
    "js/offline-form.js",
    "js/signature-pad.js",
    "icons/icon-192.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)


def _version() -> str:
    """A digest of the worker template and the shell files: a new deploy gives a new worker
    (recomputed on every request while developing, so an edited script reaches the phone)."""
    return _digest() if not settings.DEBUG else _digest.__wrapped__()


@cache
def _digest() -> str:
    digest = hashlib.sha256()
    digest.update(Path(get_template("pwa/sw.js").origin.name).read_bytes())
    for name in SHELL_STATIC:
        digest.update(static(name).encode())
        found = finders.find(name)
        if found:
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    context = {
        "version": _version(),
        "shell": json.dumps([static(n) for n in SHELL_STATIC] + [reverse("pwa_offline")]),
        "idb_url": json.dumps(static(IDB_STATIC)),
        "outbox_url": json.dumps(static(OUTBOX_STATIC)),
        "offline_url": json.dumps(reverse("pwa_offline")),
        "login_url": json.dumps(reverse("accounts:login")),
        "mine_url": json.dumps(reverse("visits:mine")),
    }
    response = HttpResponse(render_to_string("pwa/sw.js", context), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": _("关爱帮扶"),
        "short_name": _("关爱帮扶"),
        "description": _("黔东南州特殊困难群体关爱帮扶：结对走访，离线也能记录"),
        "lang": "zh-CN",
        "start_url": reverse("visits:mine"),
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b4232a",
        "icons": [{"src": static(src), "sizes": sizes, "type": "image/png", "purpose": purpose}
                  for src, sizes, purpose in ICONS],
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the worker for a page that was never kept on this phone. No personal data."""
    return HttpResponse(render_to_string("pwa/offline.html", request=None))


urlpatterns = [
    path("sw.js", service_worker, name="pwa_sw"),
    path("manifest.webmanifest", manifest, name="pwa_manifest"),
    path("offline/", offline, name="pwa_offline"),
]
