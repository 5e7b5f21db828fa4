"""One form rendering for every widget: Bootstrap classes on the inputs themselves, errors beside
the field, what was typed kept after an error."""

from __future__ import annotations

import re

from django import forms
from django.template import Context, Template


class EveryWidgetForm(forms.Form):
    name = forms.CharField(label="姓名")
    kind = forms.ChoiceField(label="类型", choices=[("a", "甲"), ("b", "乙")])
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    tier = forms.ChoiceField(label="认定类别", choices=[("A", "A类"), ("B", "B类")], widget=forms.RadioSelect)
    criteria = forms.MultipleChoiceField(label="认定标准", choices=[("A1", "A1 失能"), ("B1", "B1 大病")],
                                         widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(label="签字确认")
    photo = forms.FileField(label="照片", required=False)


def render(form) -> str:
    return Template('{% include "partials/form_fields.html" %}').render(Context({"form": form}))


def test_radio_and_checkbox_groups_put_form_check_input_on_each_input_never_on_the_wrapper():
    html = render(EveryWidgetForm())
    # No wrapper div carries the input class (the bug: a one-character-wide column).
    assert not re.search(r"<div[^>]*form-check-input", html)
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', html)
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert len(radios) == 2 and len(boxes) == 3
    assert all('class="form-check-input"' in tag for tag in radios + boxes)
    assert html.count('class="form-check-label"') == 5
    assert re.search(r'<select[^>]*class="form-select"', html)
    assert re.search(r'<input[^>]*type="date"[^>]*class="form-control"|<input[^>]*class="form-control"[^>]*type="date"', html)
    assert re.search(r'<input[^>]*type="file"[^>]*class="form-control"|<input[^>]*class="form-control"[^>]*type="file"', html)
    assert "<legend" in html  # a group is a fieldset with a legend


def test_errors_beside_fields_and_input_kept():
    form = EveryWidgetForm(data={"name": "王小红", "tier": "B", "criteria": ["B1"], "kind": "b"})
    assert not form.is_valid()
    html = render(form)
    assert 'value="王小红"' in html
    assert re.search(r'<input[^>]*value="B"[^>]*checked', html)
    assert re.search(r'<input[^>]*value="B1"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="A1"[^>]*checked', html)
    assert re.search(r'<option value="b" selected>', html)
    # Missing date and unticked confirmation: each error right under its own field.
    assert html.count("invalid-feedback d-block") == 2
    assert "is-invalid" in html


def test_field_tag_renders_one_field():
    form = EveryWidgetForm()
    html = Template("{% load care %}{% field form.tier %}{% field form.name label='名字' %}").render(
        Context({"form": form}))
    assert "认定类别" in html and "名字" in html and "姓名" not in html
