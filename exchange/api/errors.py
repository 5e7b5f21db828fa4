"""Errors of the domain actions as API answers: a Django ValidationError is 400 (or 409 when the
record's state does not allow the step), PermissionDenied 403 — each with its Chinese message.

Every 400 has one shape (docs/api.md, `ErrorSerializer`): {"detail": summary, "errors": [{"row",
"column", "message"}]} — `row` is the pushed list's row (the header is row 1, as in Excel) or null,
`column` the list's header or the parameter/field name, or null for the request as a whole."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(Exception):
    def __init__(self, error: DjangoValidationError):
        self.error = error


FIRST_ROW = 2  # the first record of a pushed list: row 2 under the header, as in the spreadsheet
NON_FIELD = {"non_field_errors", "detail", "__all__"}


def error_items(detail, *, row: int | None = None, column: str | None = None) -> list[dict]:
    """DRF's or Django's nested errors as flat items. A list's rows (`rows`: {index: {header:
    [message]}}) get their spreadsheet row number; everything else its field name."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if column is None and row is None and key == "rows" and isinstance(value, dict):
                for index, cells in value.items():
                    out += error_items(cells, row=int(index) + FIRST_ROW, column=None)
            elif row is not None and isinstance(key, int):  # a list field's own index
                out += error_items(value, row=row, column=column)
            else:
                out += error_items(value, row=row, column=None if key in NON_FIELD else str(key))
        return out
    if isinstance(detail, list | tuple):
        return [item for value in detail for item in error_items(value, row=row, column=column)]
    return [{"row": row, "column": column, "message": str(detail)}]


def bad_request(items: list[dict]) -> Response:
    def where(i: dict) -> str:
        at = ([_("第%(n)d行") % {"n": i["row"]}] if i["row"] is not None else []) + ([i["column"]] if i["column"] else [])
        return f"{' '.join(at)}：{i['message']}" if at else i["message"]

    summary = "；".join(dict.fromkeys(where(i) for i in items[:5]))
    return Response({"detail": summary, "errors": items}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": "；".join(exc.error.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return bad_request(error_items(exc.message_dict if hasattr(exc, "error_dict") else exc.messages))
    if isinstance(exc, PermissionDenied) and exc.args:
        return Response({"detail": str(exc.args[0])}, status=status.HTTP_403_FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        return bad_request(error_items(response.data))
    return response
