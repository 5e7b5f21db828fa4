"""Issue 21, uploads: a photo is decoded and re-encoded to JPEG on the server (no metadata, no
trailing bytes); HTML, SVG or a script named .jpg is refused with a Chinese message and nothing is
stored; a stored file is served as an attachment under a generated name (never the uploaded one,
never rendered as HTML/SVG)."""

import io
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.files import photo_as_jpeg, upload_response
from tests.factories import jpeg_bytes
from tests.visits.factories import form_answers
from tests.visits.test_capture import NOW
from visits.models import Visit, VisitPhoto

pytestmark = pytest.mark.django_db

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"></svg>'
HTML = b"<html><body><script>fetch('/beneficiaries/').then(r=>r.text()).then(alert)</script></body></html>"


def _post(client, household, photo):
    with time_machine.travel(NOW, tick=False):
        return client.post(reverse("visits:record", args=[household.pk]),
                           form_answers(visited_on="2026-06-20", client_token=str(uuid.uuid4()), photos=[photo]))


@pytest.mark.parametrize("name, content", [
    ("door.svg", SVG), ("door.jpg", SVG), ("door.html", HTML), ("door.jpg", HTML), ("door.png", b"\x89PNG\r\n\x1a\n"),
])
def test_what_is_not_an_image_is_refused_in_chinese_and_nothing_is_stored(client, paired, name, content):
    household, cadre = paired
    client.force_login(cadre)
    response = _post(client, household, SimpleUploadedFile(name, content, content_type="image/jpeg"))
    assert response.status_code == 200
    assert "不是可以识别的照片" in response.content.decode()
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_a_photo_is_stored_as_a_fresh_jpeg_without_its_trailing_bytes_or_name(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    png = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 128, 0, 200)).save(png, "PNG")
    polyglot = png.getvalue() + HTML  # an image with a page appended
    response = _post(client, household, SimpleUploadedFile("../../../etc/passwd.png", polyglot))
    assert response.status_code == 302
    photo = VisitPhoto.objects.get()
    stored = photo.image.read()
    assert stored[:3] == b"\xff\xd8\xff" and b"<script" not in stored
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert "passwd" not in photo.image.name and ".." not in photo.image.name and photo.image.name.endswith(".jpg")

    with time_machine.travel(NOW, tick=False):
        served = client.get(reverse("visits:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == f'attachment; filename="visit-{photo.visit_id}-photo-{photo.pk}.jpg"'
    assert served["X-Content-Type-Options"] == "nosniff" and "sandbox" in served["Content-Security-Policy"]


def test_a_big_photo_is_shrunk_and_a_decompression_bomb_is_refused():
    big = photo_as_jpeg(SimpleUploadedFile("big.jpg", jpeg_bytes(4000, 3000)))
    assert max(Image.open(big).size) == 2560
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 megapixels in a few KB
    with pytest.raises(Exception, match="不是可以识别的照片"):
        photo_as_jpeg(SimpleUploadedFile("bomb.png", bomb.getvalue()))


def test_a_stored_file_is_never_served_under_a_name_or_type_it_was_uploaded_with(tmp_path, settings):
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    name = default_storage.save("visits/evil.svg", io.BytesIO(SVG))  # a file stored before this change
    photo = VisitPhoto(image=name)
    response = upload_response(photo.image, 'x"; filename=../../a.html')
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="xfilenameahtml"'
    assert response["X-Content-Type-Options"] == "nosniff"
