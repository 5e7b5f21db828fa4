"""The installable app's files: the worker at the site root, the manifest, the offline page."""

import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_from_the_root_uncached_with_the_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", text).group(1))
    assert "/static/js/care-outbox.js" in shell and "/static/js/visit-form.js" in shell and "/offline/" in shell
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', text)
    assert "{{" not in text and "{%" not in text
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_manifest_names_the_app_in_chinese_with_icons(client):
    response = client.get(reverse("pwa_manifest"))
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert data["name"] == "关爱帮扶" and data["start_url"] == reverse("visits:mine")
    assert data["display"] == "standalone" and data["scope"] == "/"
    assert {(i["sizes"], i["purpose"]) for i in data["icons"]} == {
        ("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_offline_page_has_no_personal_data_and_pages_link_the_manifest(client, paired):
    household, user = paired
    client.force_login(user)
    offline = client.get(reverse("pwa_offline")).content.decode()
    assert "当前没有网络" in offline and "王阿婆" not in offline
    page = client.get(reverse("visits:mine")).content.decode()
    assert f'<meta name="care-user" content="{user.pk}">' in page
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert "js/care-offline.js" in page and "<script>" not in page
    form = client.get(reverse("visits:record", args=[household.pk])).content.decode()
    assert "js/visit-form.js" in form and "<script>" not in form
    assert f'data-household="{household.pk}"' in form and 'data-household-name="王阿婆"' in form
