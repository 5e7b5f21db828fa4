"""Uploaded files (photos, receipts, minutes, attachments): what is kept and how it is served.

Kept: a photo is decoded and re-encoded to JPEG on the server (`photo_as_jpeg`) — whatever does
not decode as an image (HTML, SVG, a script renamed .jpg) is refused with a Chinese message, and
what is stored is pixels only: no trailing bytes of a polyglot, no EXIF (GPS, device). A receipt
may also be a PDF (`receipt_as_stored`). Every stored name is generated; nothing of the uploaded
name reaches storage.

Served: only after the caller has checked scope and written the audit row, never from a public
/media/ URL; always as a download (Content-Disposition: attachment) under a generated name, with
a content type from a short list (image/jpeg, application/pdf, or application/octet-stream), and
with nosniff and a CSP that forbids everything — so no upload is ever rendered as HTML or SVG."""

from __future__ import annotations

import io
import os
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

PHOTO_MAX_SIDE = 2560  # the capture page already sends ~1600 px; an original from a camera is cut to this
PHOTO_MAX_PIXELS = 50_000_000  # decoded size; a "decompression bomb" is refused before it is decoded
PHOTO_QUALITY = 85
SERVED_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf",
                ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".zip": "application/zip",
                ".doc": "application/msword",
                ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def generated_name(extension: str) -> str:
    """A stored file's name: random, with our own extension (never the uploader's name)."""
    return f"{uuid.uuid4().hex}{extension}"


def photo_as_jpeg(upload) -> ContentFile:
    """1. Decode the upload as an image (refused with a Chinese message if it is not one, or if
    it would decode to more than PHOTO_MAX_PIXELS); 2. turn it upright (EXIF orientation) and
    shrink it to PHOTO_MAX_SIDE; 3. encode it anew as JPEG without metadata, under a generated name."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = ValidationError(
        _("“%(name)s”不是可以识别的照片，请上传 JPG、PNG 或 WebP 格式的照片。")
        % {"name": os.path.basename(getattr(upload, "name", "") or "")[:60]}, code="not_an_image")
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ("JPEG", "PNG", "WEBP", "MPO", "GIF", "BMP", "TIFF"):
                    raise refused
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise refused
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGBA").convert("RGB") if "A" in image.mode or image.mode == "P" \
                        else image.convert("RGB")
                image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
                out = io.BytesIO()
                image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise refused from exc
    return ContentFile(out.getvalue(), name=generated_name(".jpg"))


def receipt_as_stored(upload) -> ContentFile:
    """A receipt: a PDF is kept as it is (under a generated name); anything else must be a photo."""
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        upload.seek(0)
        return ContentFile(upload.read(), name=generated_name(".pdf"))
    return photo_as_jpeg(upload)


WORD = {b"PK\x03\x04": ".docx", b"\xd0\xcf\x11\xe0": ".doc"}


def document_as_stored(upload) -> ContentFile:
    """Minutes or an application's attachment: a PDF or a Word file kept as it is (generated name,
    recognised by its first bytes, not by its name); anything else must be a photo."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    name = (getattr(upload, "name", "") or "").lower()
    if head.startswith(b"%PDF-"):
        return ContentFile(upload.read(), name=generated_name(".pdf"))
    for magic, extension in WORD.items():
        if head.startswith(magic) and name.endswith((".doc", ".docx")):
            return ContentFile(upload.read(), name=generated_name(extension))
    try:
        return photo_as_jpeg(upload)
    except ValidationError as exc:
        raise ValidationError(_("只能上传 PDF、Word 文件或照片（JPG、PNG、WebP）。"), code="bad_document") from exc


def upload_response(field_file: FieldFile, download_name: str) -> FileResponse:
    """The stored file as a download named `download_name` (the caller builds it from ids, e.g.
    "visit-photo-12"; our extension is added); a file missing from storage is a 404, not a 500."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    extension = os.path.splitext(field_file.name)[1].lower()
    content_type = SERVED_TYPES.get(extension, "application/octet-stream")
    safe = "".join(c for c in download_name if c.isascii() and (c.isalnum() or c in "-_")) or "file"
    response = FileResponse(handle, as_attachment=True, filename=f"{safe}{extension if extension in SERVED_TYPES else ''}",
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
