"""Every link resolves and no raw code reaches a person.

One walk over the demo data (the demo seeding of every app, on a few households), per demo role,
signed in once: the start page, every menu page, every link on every dashboard level (down to the
households behind a number) and one page of each kind one click further; every download met on
the way (xlsx, csv, pdf) is opened too. It fails on

- a link that answers 404 or a server error (a link a person can click must lead somewhere);
- a choice value of a model (``daily_care``, ``needs_rescue``, ``low_income``…: the English value
  behind a label, collected from the models) or a library's name in the text a person reads: the
  page's visible text, a spreadsheet's cells, a PDF's text.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps

from tests.test_scope_sweep import PROJECT_APPS, demo_data

ROLES = ["zhou", "leishan", "xijiang", "danjiang", "cunwei", "ganbu", "yibao", "jinrong"]
# Not pages to follow: sign-out, the admin, revealing personal data (audited on purpose), posts.
SKIP = re.compile(r"(/logout|/admin/|/reveal|/accounts/2fa/|/static/|/media/|/i18n/|/api/)")
DOWNLOAD = re.compile(r"(\.xlsx|\.csv|\.pdf|\.zip|/export|/download|/template/)")
MAX_PAGES_PER_ROLE = 45  # menu and dashboard pages are always walked; then one page per kind
MAX_DOWNLOADS_PER_ROLE = 12
LIBRARY_NAMES = ("chinesecalendar", "openpyxl", "weasyprint", "django", "celery", "python")
# Choice values that are ordinary words of no enum meaning when they appear in text, or that can
# only appear inside identifiers a person never reads.
NOT_CODES = {"api", "csv", "xlsx", "pdf", "sms", "app"}


def choice_values() -> set[str]:
    """The English values of every choice field of the project's models (lower-case words of
    three letters or more, or with an underscore): none of them should be read by a person."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in (*PROJECT_APPS, "exchange"):
            continue
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "choices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                    values.add(value)
    return values - NOT_CODES


def raw_code_pattern() -> re.Pattern:
    words = sorted(choice_values() | set(LIBRARY_NAMES), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9_./-])(" + "|".join(map(re.escape, words)) + r")(?![A-Za-z0-9_/-])", re.I)


def visible_text(html: str) -> str:
    from lxml import html as lhtml

    doc = lhtml.fromstring(html)
    for el in doc.xpath("//script|//style|//template|//noscript"):
        el.drop_tree()
    body = doc.find("body")
    # Text nodes joined with a space: a table's cells are separate words, as a person reads them.
    return " ".join(" ".join((body if body is not None else doc).itertext()).split())


def links(html: str, selector_id: str | None = None) -> list[str]:
    from lxml import html as lhtml

    doc = lhtml.fromstring(html)
    root = doc.get_element_by_id(selector_id, None) if selector_id else doc.find(".//main")
    root = doc if root is None and not selector_id else root
    if root is None:
        return []
    return [a.get("href") for a in root.iter("a") if a.get("href") and not a.get("href").startswith(("#", "mailto:", "tel:", "javascript:"))]


def shape(path: str) -> str:
    parts = urlsplit(path)
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(sorted(re.sub(r"=[^&]*", "", parts.query).split("&"))) if parts.query else "")


def level(code: str) -> str:
    """prefecture, county, township or village, from a 12-digit code's trailing zeros."""
    code = code.strip("/")
    for name, width in (("prefecture", 4), ("county", 6), ("township", 9)):
        if code[width:] == "0" * (12 - width):
            return name
    return "village"


def download_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheet" in kind:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        return " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    if "pdf" in kind:
        from pypdf import PdfReader

        return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    if "csv" in kind:
        text = body.decode("utf-8-sig", errors="replace")
        return " ".join(" ".join(r) for r in csv.reader(io.StringIO(text)))
    return ""


def walk(client, username: str, pattern: re.Pattern, downloaded: set[str]) -> tuple[list[str], list[str], int]:
    """(broken links, raw codes met, pages walked) for one signed-in role."""
    broken: list[str] = []
    codes: list[str] = []
    start = client.get("/", follow=True)
    assert start.status_code == 200, f"{username}: start page {start.status_code}"
    menu = [h for h in links(start.content.decode(), "mainnav") if h.startswith("/") and not SKIP.search(h)]
    assert menu, f"{username}: no menu"
    queue = list(dict.fromkeys(["/", *menu]))
    came_from = dict.fromkeys(queue, "/")
    seen = set(queue)
    shapes = {shape(p) for p in queue}
    pages = downloads = 0

    def check_text(where: str, text: str) -> None:
        for m in sorted({m.group(1) for m in pattern.finditer(text)}):
            i = text.find(m)
            codes.append(f"{username} {where}: “{m}” in “…{text[max(0, i - 30):i + 40]}…”")

    while queue:
        path = queue.pop(0)
        dashboard = path.startswith("/oversight/dashboard/")
        is_download = bool(DOWNLOAD.search(path))
        if path not in menu and not dashboard and not is_download and pages >= MAX_PAGES_PER_ROLE:
            continue
        if is_download:
            # One download of each kind over all roles (a panel's xlsx is the same writer at every level).
            kind = re.sub(r"/oversight/dashboard/\d+/", "/oversight/dashboard/N/", shape(path))
            if downloads >= MAX_DOWNLOADS_PER_ROLE or kind in downloaded:
                continue
            downloaded.add(kind)
            downloads += 1
        else:
            pages += 1
        response = client.get(path, follow=True)
        if response.status_code in (404, 500) or response.status_code >= 500:
            broken.append(f"{username} {path} (from {came_from.get(path)}): HTTP {response.status_code}")
            continue
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        if "text/html" not in kind:
            check_text(path, download_text(response))
            continue
        html = response.content.decode()
        check_text(path, visible_text(html))
        follow_all = dashboard or path in menu or path == "/"
        for href in links(html):
            href = href.split("#")[0]
            if not href.startswith("/") or href.startswith("//") or SKIP.search(href) or href in seen:
                continue
            seen.add(href)
            came_from[href] = path
            if follow_all and href.startswith("/oversight/dashboard/"):
                # Every level's dashboard and drill-downs: one area per level, one key per figure.
                key = re.sub(r"[?&](key|on|page)=[^&]*", "", re.sub(r"/\d{12}/", lambda m: f"/{level(m.group(0))}/", href))
                if key not in shapes:
                    shapes.add(key)
                    queue.append(href)
            elif shape(href) not in shapes:
                shapes.add(shape(href))
                queue.append(href)
    return broken, codes, pages


@pytest.mark.django_db
def test_every_link_resolves_and_no_raw_code_reaches_a_person(client):
    from accounts.models import User

    demo_data()
    pattern = raw_code_pattern()
    broken, codes, total, downloaded = [], [], 0, set()
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        b, c, n = walk(client, username, pattern, downloaded)
        broken += b
        codes += c
        total += n
    assert total > len(ROLES) * 10
    assert not broken, "broken links:\n" + "\n".join(broken)
    assert not codes, "raw codes in text:\n" + "\n".join(codes)


def test_the_raw_code_pattern_finds_a_choice_value_and_a_library_name_but_not_chinese():
    pattern = raw_code_pattern()
    assert pattern.search("服务需求：none / daily_care")
    assert pattern.search("依据 chinesecalendar 1.11.0")
    assert not pattern.search("服务需求：日常照料 · 户编号 DEMO-000004 · 138****1111")
