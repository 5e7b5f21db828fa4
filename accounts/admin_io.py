"""Reference tables exported and re-imported from the admin (django-import-export).

Bureau staff keep departments and fields of help, service providers, cadres, holiday tables and
visit-frequency settings in spreadsheets; the admin's 导出 / 导入 buttons move them in and out.
Every resource here follows the house rules of any other import or export:

- Chinese column headers (the models' verbose names): the same headers are read back on import;
- export passes every cell through `sheets.guard` (formula injection), and import undoes it;
- the rows an export or an import reaches are the admin user's scope (`scope_queryset`): a row
  outside it is not found, and an id that exists outside it is refused, never overwritten;
- import writes through the apps' actions (transactional, validated, audited): `save_instance`
  calls `save_through_action`, never `Model.save`; unchanged rows are skipped, so a round trip
  (export, then import of the same file) changes nothing and writes no audit row;
- the preview is django-import-export's confirm step: the dry run runs the same actions in a
  transaction that is rolled back, so nothing is written until 确认导入;
- a bad row is reported as "第N行：列名：原因" with N the row number as Excel shows it (the
  header is row 1), and nothing is imported while any row is bad;
- every export is audited (one row naming the table and the number of rows).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from import_export import fields, resources, results, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm, SelectableFieldsExportForm

from .actions import audit_record
from .models import Area, AuditAction
from .scoping import scope_queryset
from .sheets import FORMULA_PREFIXES, SheetError, check_upload, guard

LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")


# --- widgets: what a person types, not codes -----------------------------------------------


class ChoiceLabelWidget(widgets.Widget):
    """A choice written as its Chinese label (类型：社会组织), read back from the label or the code."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return ""
        for code, label in self.choices.choices:
            if text in (str(label), code):
                return code
        raise ValueError(_("“%(v)s”不是可选的值，可选：%(c)s。")
                         % {"v": text, "c": "、".join(str(label) for _code, label in self.choices.choices)})

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices.choices).get(value, value or ""))


class ChoiceListWidget(ChoiceLabelWidget):
    """A list of choices (an ArrayField) as labels joined by 、."""

    def clean(self, value, row=None, **kwargs):
        parts = [p for p in LIST_SEPARATORS.split(str(value or "").strip()) if p]
        return [super(ChoiceListWidget, self).clean(p) for p in parts]

    def render(self, value, obj=None, **kwargs):
        return "、".join(super(ChoiceListWidget, self).render(v) for v in (value or []))


class YesNoWidget(widgets.Widget):
    """是 / 否; an empty cell reads as `blank` (True: a new row is in use unless it says 否)."""

    def __init__(self, blank: bool | None = True, **kwargs):
        self.blank = blank
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is True or value is False:
            return value
        text = str(value if value is not None else "").strip()
        if not text and self.blank is not None:
            return self.blank
        if text in ("是", "1", "TRUE", "True", "true"):
            return True
        if text in ("否", "0", "FALSE", "False", "false"):
            return False
        raise ValueError(_("应填“是”或“否”，实为“%(v)s”。") % {"v": text})

    def render(self, value, obj=None, **kwargs):
        return _("是") if value else _("否")


class ExcelDateWidget(widgets.Widget):
    """A date as Excel keeps it (a date cell) or as typed: 2027-02-05, 2027/2/5."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", str(value).strip())
        try:
            if match:
                return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
        raise ValueError(_("日期“%(v)s”无效（格式 2027-02-05）。") % {"v": value})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else value.isoformat()


class AreaCodeWidget(widgets.Widget):
    """An area by its 12-digit code (names repeat across townships; codes do not)."""

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip()
        if not code:
            return None
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise ValueError(_("区划代码“%(v)s”不存在。") % {"v": code})
        return area

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


class AreaCodesWidget(widgets.ManyToManyWidget):
    """Several areas as codes joined by 、."""

    def __init__(self, **kwargs):
        super().__init__(Area, field="code", separator="、", **kwargs)

    def clean(self, value, row=None, **kwargs):
        codes = [c for c in LIST_SEPARATORS.split(str(value or "").strip()) if c]
        found = Area.objects.in_bulk(codes)
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValueError(_("区划代码“%(v)s”不存在。") % {"v": "、".join(missing)})
        return [found[c] for c in codes]

    def render(self, value, obj=None, **kwargs):
        return "、".join(sorted(a.code for a in value.all())) if value is not None else ""


class NamedWidget(widgets.Widget):
    """A foreign key by a unique name (部门名称)."""

    def __init__(self, model: type[models.Model], field: str = "name", **kwargs):
        self.model, self.field = model, field
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        found = list(self.model._default_manager.filter(**{self.field: text})[:2])
        if not found:
            raise ValueError(_("“%(v)s”不存在于%(m)s中。") % {"v": text, "m": self.model._meta.verbose_name})
        if len(found) > 1:
            raise ValueError(_("有多个名为“%(v)s”的%(m)s，请在页面上选择。") % {"v": text, "m": self.model._meta.verbose_name})
        return found[0]

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.field, "") if value else ""


def column(model: type[models.Model], name: str, widget: widgets.Widget | None = None, *, readonly: bool = False,
           attribute: str | None = None) -> fields.Field:
    """A resource field whose header is the model field's verbose name."""
    django_field = model._meta.get_field(name)
    if widget is None:
        if isinstance(django_field, (models.CharField, models.TextField)):
            widget = widgets.CharWidget(coerce_to_string=True, allow_blank=True)
        elif isinstance(django_field, models.IntegerField):
            widget = widgets.IntegerWidget()
        elif isinstance(django_field, models.DateField):
            widget = ExcelDateWidget()
        else:
            widget = widgets.Widget()
    return fields.Field(attribute=attribute or name, column_name=str(django_field.verbose_name), widget=widget,
                        readonly=readonly)


# --- the resource every reference table builds on --------------------------------------------


class ExcelRowResult(results.Result):
    """Row numbers as Excel shows them: the header is row 1, the first data row is row 2."""

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + 1, row, validation_error)

    def append_error_row(self, number, row, errors):
        super().append_error_row(number + 1, row, errors)


class ReferenceResource(resources.ModelResource):
    """Base of the admin's reference tables (module docstring). Subclasses declare their columns
    with `column` and implement `save_through_action(instance, is_create, row)`."""

    def __init__(self, user=None, request=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user if user is not None else getattr(request, "user", None)
        self.request = request

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # the actions validate (full_clean and their own rules)
        use_transactions = True

    def get_result_class(self):
        return ExcelRowResult

    def get_queryset(self):
        return scope_queryset(self.user, super().get_queryset())

    # -- import -----------------------------------------------------------------------------

    def before_import_row(self, row, **kwargs):
        for key, value in list(row.items()):
            if isinstance(value, str):
                value = value.strip()
                if value[:1] == "'" and value[1:2] and value[1] in FORMULA_PREFIXES:
                    value = value[1:]  # what `guard` wrote comes back as it was typed
                row[key] = value

    def get_instance(self, instance_loader, row):
        instance = super().get_instance(instance_loader, row)
        if instance is None:
            # An id that exists but lies outside the user's scope is refused, never created anew.
            lookup = {}
            for f in self.get_import_id_fields():
                field = self.fields[f]
                value = field.clean(row)
                if value in (None, ""):
                    return None
                lookup[field.attribute] = value
            if self._meta.model._default_manager.filter(**lookup).exists():
                raise ValidationError(_("该记录不在您负责的范围内，不能导入。"))
        return instance

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            self.save_through_action(instance, is_create, row)
        except (ValueError, PermissionDenied) as exc:
            raise ValidationError(str(exc)) from exc

    def save_through_action(self, instance, is_create: bool, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def save_m2m(self, instance, row, **kwargs):
        """Many-to-many columns are passed to the action by `save_through_action`."""

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        if result.validation_error is not None:
            result.validation_error = self.row_error(kwargs.get("row_number", 0) + 1, result.validation_error)
        return result

    def row_error(self, number: int, error: ValidationError) -> ValidationError:
        """One error per bad cell, each "第N行：列名：原因" as in every other import of the project."""
        headers = {f.attribute: f.column_name for f in self.fields.values() if f.attribute}
        headers.update({name: f.column_name for name, f in self.fields.items()})
        messages = []
        items = error.message_dict.items() if hasattr(error, "error_dict") else [(NON_FIELD_ERRORS, error.messages)]
        for key, texts in items:
            for text in texts:
                label = headers.get(key) or headers.get(f"{key}_id") or ""
                if key == NON_FIELD_ERRORS or not label:
                    messages.append(_("第%(r)d行：%(m)s") % {"r": number, "m": text})
                else:
                    messages.append(_("第%(r)d行：%(c)s：%(m)s") % {"r": number, "c": label, "m": text})
        return ValidationError(messages)

    # -- export -----------------------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        return guard(super().export_field(field, instance, **kwargs))


class ChineseFieldsExportForm(SelectableFieldsExportForm):
    """The export form's column checkboxes are labelled with the Chinese headers alone."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class CheckedImportForm(ImportForm):
    """The upload passes the same limits as every other import (`sheets.check_upload`: size, an
    .xlsx's unpacked size and rows) before the library reads it."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_upload(upload)
        except SheetError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload


class ReferenceAdminMixin(ImportExportMixin):
    """The admin side: the resource gets the signed-in user, the export queryset is the scoped
    changelist, each export writes an audit row, and import is offered only to the role that
    may write the table (`can_import`). Files: .xlsx and .csv (UTF-8 with BOM, as Excel reads it)."""

    formats = [XLSX, CSV]
    to_encoding = "utf-8-sig"
    export_form_class = ChineseFieldsExportForm
    import_form_class = CheckedImportForm

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user, "request": request}

    def can_import(self, user) -> bool:
        return False

    def has_import_permission(self, request):
        return self.can_import(request.user)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit_record(actor=request.user, action=AuditAction.EXPORT, object_type=self.opts.label_lower,
                     object_repr=_("管理后台导出：%(t)s") % {"t": self.opts.verbose_name_plural}, request=request,
                     details={"rows": queryset.count(), "format": file_format.get_title()})
        return data
