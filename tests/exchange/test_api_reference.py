"""The API reference page (/api/v1/docs/) is Chinese: the schema's title, description, tags,
operation summaries and every field and parameter; Redoc's own labels through its options."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from exchange.api.docs import REDOC_LABELS

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")


def _schema(client) -> dict:
    return client.get(reverse("api:schema") + "?format=json").json()


def test_the_schemas_title_description_and_tags_are_chinese(client):
    schema = _schema(client)
    assert CHINESE.search(schema["info"]["title"]) and CHINESE.search(schema["info"]["description"])
    assert schema["tags"] and all(CHINESE.search(t["name"]) and CHINESE.search(t["description"])
                                  for t in schema["tags"])
    tags = {t["name"] for t in schema["tags"]}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert CHINESE.search(op["summary"]) and set(op["tags"]) <= tags, (path, method)
            for parameter in op.get("parameters", []):
                assert CHINESE.search(parameter.get("description", "")), (path, method, parameter["name"])


def test_every_field_is_described_in_chinese(client):
    for name, component in _schema(client)["components"]["schemas"].items():
        assert not ENGLISH_PHRASE.search(component.get("description", "")), name
        for field, spec in component.get("properties", {}).items():
            assert CHINESE.search(spec.get("description", "")), (name, field)


def test_the_reference_page_gives_redoc_chinese_labels_without_inline_script(client):
    html = client.get(reverse("api:docs")).content.decode()
    block = re.search(r'<script id="redoc-labels" type="application/json">(.*?)</script>', html, re.S)
    labels = json.loads(block.group(1))
    assert set(labels) == set(REDOC_LABELS) and labels["requestSamples"] == "请求示例"
    assert "https://" not in html
    # Every executable script is a file (the CSP allows no inline script).
    assert all('src="' in tag for tag in re.findall(r"<script(?![^>]*application/json)[^>]*>", html))
