"""Serving uploaded files (photos, receipts, minutes) after the caller has checked scope and
written the audit row. Uploads are never served from a public /media/ URL."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def upload_response(field_file: FieldFile) -> FileResponse:
    """The stored file as a download; a file missing from storage is a 404, not a 500."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    return FileResponse(handle, filename=field_file.name.rsplit("/", 1)[-1])
