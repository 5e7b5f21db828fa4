"""Issue 21: the Chinese 404/403/500 pages carry the same security headers as every page,
with DEBUG off and on (django-csp alone leaves 404 and 500 without a policy under DEBUG)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path

from config.urls import urlpatterns as site_urls


def _boom(request):
    raise RuntimeError("boom")


def _denied(request):
    raise PermissionDenied


urlpatterns = [path("test-boom/", _boom), path("test-denied/", _denied), *site_urls]

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
           "Cross-Origin-Opener-Policy")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@override_settings(ROOT_URLCONF=__name__)
def test_error_pages_carry_the_headers_of_every_page(settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    page = client.get("/accounts/login/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    for url, status in (("/no-such-page/", 404), ("/test-denied/", 403), ("/test-boom/", 500)):
        response = client.get(url)
        assert response.status_code == status
        for header in HEADERS:
            assert header in response.headers, (url, header, debug)
        assert sorted(response.headers["Content-Security-Policy"].split("; ")) == sorted(policy.split("; "))
        if not debug:
            assert "<html" in response.content.decode() and "lang=\"zh-hans\"" in response.content.decode()
