"""Chinese everywhere: Django's own messages and one date format (2026-11-30)."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation


def test_password_messages_are_chinese():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            validate_password("12345")
        messages = exc.value.messages
        helps = password_validators_help_texts()
    assert "密码太短，至少需要 12 个字符。" in messages
    assert all(not any("a" <= ch.lower() <= "z" for ch in m) for m in messages + helps), messages + helps


def test_dates_render_in_one_format():
    with translation.override("zh-hans"):
        html = Template("{{ d }}|{{ d|date }}|{{ d|date:'SHORT_DATE_FORMAT' }}").render(
            Context({"d": dt.date(2026, 11, 30)}))
    assert html == "2026-11-30|2026-11-30|2026-11-30"


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.ico")
