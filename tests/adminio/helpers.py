"""Drive the admin's export and import views as bureau staff do (export form, upload, preview,
confirm) and read the .xlsx back."""

import io

import openpyxl
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import user_with_role


def admin_user(role: str, area_code: str | None, *models: str, **user_fields):
    user = user_with_role(role, area_code, is_staff=True, **user_fields)
    user.user_permissions.set(Permission.objects.filter(codename__in=[f"view_{m}" for m in models]))
    return user


def export_xlsx(client, label: str, resource) -> list[list]:
    app, model = label.split(".")
    columns = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(reverse(f"admin:{app}_{model}_export"), {"format": "0", "resource": "0", **columns})
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]


def xlsx_upload(rows: list[list], name: str = "table.xlsx"):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def import_preview(client, label: str, rows: list[list]):
    app, model = label.split(".")
    return client.post(reverse(f"admin:{app}_{model}_import"),
                       {"format": "0", "resource": "0", "import_file": xlsx_upload(rows)})


def confirm(client, label: str, preview):
    app, model = label.split(".")
    form = preview.context["confirm_form"]
    return client.post(reverse(f"admin:{app}_{model}_process_import"),
                       {k: form.initial.get(k, "") for k in ("import_file_name", "original_file_name", "format", "resource")})


def round_trip(client, label: str, resource) -> None:
    """Export, re-import the same file: every row skipped, nothing written."""
    rows = export_xlsx(client, label, resource)
    preview = import_preview(client, label, rows)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), preview.content.decode()[-3000:]
    assert result.totals["new"] == result.totals["update"] == 0
    assert result.totals["skip"] == len(rows) - 1
    assert confirm(client, label, preview).status_code == 302
